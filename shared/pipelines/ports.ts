import type { Logger } from '@aws-lambda-powertools/logger';
import type { PipelineDefinition, Provider } from '../../events';
import type { AuditSink } from '../audit/audit';
import type { ArtifactStore } from '../aws/s3-location';
import type { ExecutionControl } from '../aws/step-functions';
import type { EventBus } from '../bus/event-bus';
import type { MergedPullRequest } from '../history/pulls';
import type { RangeCommit } from '../history/types';
import type { RunStore } from '../runs/store';
import type { TokenSource } from '../secrets/secrets';
import type { StatusPort } from '../status/port';
import type { CommitStatusRequest } from '../status/types';

/** The generic AWS ports live with their adapters in shared/aws; the pipeline's steps name them here. */
export type { DeploymentStopper, StopSite } from '../aws/deployment-stop';
export type { ArtifactStore, CommitStatusRequest, ExecutionControl, StatusPort };

/**
 * Port: what the webhook receiver recorded about a change it verified and published. ResolvePlan
 * plans only changes found here, so an execution started by hand with a made-up change (another
 * clone URL, an unreviewed commit named as main's) is refused before anything builds.
 */
export interface AdmittedChanges {
  admittedDigest(key: { provider: Provider; deliveryId: string }, eventId: string): Promise<string | undefined>;
}

/** Which change's commits to list, through which connection. */
export interface ChangeRangeRequest {
  readonly provider: Provider;
  /** The connection whose API URL and token are used (the commit statuses' one). */
  readonly connection: string;
  readonly secretId: string;
  readonly repository: string;
  readonly before: string;
  readonly after: string;
}

/**
 * Port: the commits a push added, as the provider's API lists them (authors, committers and
 * their accounts). Throws `HistoryError` when the range cannot be listed whole.
 */
export interface ChangeHistory {
  commitsOf(request: ChangeRangeRequest): Promise<readonly RangeCommit[]>;
  /** The merged pull requests containing any of `commits`, with who opened and merged each; throws `HistoryError` when it cannot say. */
  pullRequestsOf(request: PullRequestsRequest): Promise<readonly MergedPullRequest[]>;
}

/** Which commits' pull requests to look up, through which connection. */
export interface PullRequestsRequest {
  readonly provider: Provider;
  readonly connection: string;
  readonly secretId: string;
  readonly repository: string;
  readonly commits: readonly string[];
}

/**
 * Port: a pipeline's configuration as deployed now (the state machine carries it), so that who
 * may approve or operate is decided by today's groups, not the snapshot a run started with.
 */
export interface DeployedPipelines {
  /** Fails when the state machine is gone or carries no readable pipeline: callers refuse. */
  definitionOf(stateMachineArn: string): Promise<PipelineDefinition>;
}

/**
 * Port: the pipeline an execution runs, as its own state machine carries it for that execution
 * (DescribeStateMachineForExecution): ResolvePlan plans for that pipeline, never for the one a
 * payload names (a direct invoke names any). Fails when there is no such execution.
 */
export interface ExecutionPipelines {
  pipelineOfExecution(executionArn: string): Promise<PipelineDefinition>;
}

/** Everything the pipeline steps need; each handler wires the parts it uses. */
export interface PipelineDeps {
  readonly runs: RunStore;
  readonly executions: ExecutionControl;
  readonly statuses: StatusPort;
  readonly audit: AuditSink;
  readonly bus: EventBus;
  /** The connections' API tokens (never their webhook secrets). */
  readonly secrets: TokenSource;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly clock: () => Date;
}

/** What Step Functions answers for a token whose execution is gone (stopped, timed out, failed). */
const DEAD_TOKEN_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

/** Whether Step Functions refused a token because its task is no longer waiting (answered or gone). */
export function isDeadToken(error: unknown): boolean {
  return DEAD_TOKEN_ERRORS.includes((error as { name?: string } | undefined)?.name ?? '');
}
