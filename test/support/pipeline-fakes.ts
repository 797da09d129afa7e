import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type PipelineDefinition, type SourceEvent, sourceEventDigest } from '../../events';
import { type RunningDynalite, startDynalite } from '../../local/dynamodb/dynalite';
import { documentClient } from '../../shared/aws/clients';
import type { TaskEnd } from '../../shared/aws/step-functions';
import type { GateDeps } from '../../shared/pipelines/gates';
import type {
  AdmittedChanges,
  ArtifactStore,
  CommitStatusRequest,
  DeployedPipelines,
  ExecutionControl,
  ExecutionPipelines,
  PipelineDeps,
  StatusPort,
} from '../../shared/pipelines/ports';
import { DynamoDbRunStore } from '../../shared/runs/store';
import type { StatusPosted } from '../../shared/status/port';
import { createRunsTable } from './aws';
import { DEFINITION } from './plans';
import { MemoryAudit, MemoryBus, StaticSecrets } from './receiver-fakes';

/** What the steps asked of Step Functions. */
export class RecordingExecutions implements ExecutionControl {
  readonly successes: { token: string; output: unknown }[] = [];
  readonly failures: { token: string; error: string; cause: string }[] = [];
  readonly stopped: { executionArn: string; error: string }[] = [];

  /** Tokens Step Functions answers with this error (`TaskTimedOut` for an execution that has ended). */
  readonly refusedTokens = new Map<string, string>();

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    const refusal = this.refusedTokens.get(taskToken);
    if (refusal !== undefined) throw Object.assign(new Error('refused'), { name: refusal });
    this.successes.push({ token: taskToken, output });
  }
  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    this.failures.push({ token: taskToken, error, cause });
  }
  async stopExecution(executionArn: string, error: string): Promise<void> {
    this.stopped.push({ executionArn, error });
  }
  readonly started: { stateMachineArn: string; name: string; input: unknown }[] = [];
  /** Set to make StartExecution fail with this error name (throttling, limits). */
  startFailsWith: string | undefined;

  /** Executions' statuses as DescribeExecution answers; an ARN not listed has none. */
  readonly statuses = new Map<string, string>();

  async executionStatus(executionArn: string): Promise<string | undefined> {
    return this.statuses.get(executionArn);
  }

  /**
   * How each execution's named state ended its task (`<execution> <state>`), as its history says;
   * one not listed timed out (Step Functions' own timeout). Every question is kept.
   */
  readonly taskEnds = new Map<string, TaskEnd | null>();
  readonly taskEndsAsked: string[] = [];

  async taskEndOf(executionArn: string, state: string): Promise<TaskEnd | null> {
    const key = `${executionArn} ${state}`;
    this.taskEndsAsked.push(key);
    return this.taskEnds.has(key) ? (this.taskEnds.get(key) ?? null) : 'timed_out';
  }

  async startExecution(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    if (this.startFailsWith !== undefined) throw Object.assign(new Error('refused'), { name: this.startFailsWith });
    this.started.push({ stateMachineArn, name, input });
    return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}

export class RecordingStatuses implements StatusPort {
  readonly posted: CommitStatusRequest[] = [];
  async report(status: CommitStatusRequest): Promise<StatusPosted> {
    this.posted.push(status);
    return { posted: true, retryLater: false };
  }
}

/** Build artifacts in memory, every version of each key kept, as in a versioned bucket. */
export class MemoryArtifacts implements ArtifactStore {
  private readonly versions = new Map<string, Buffer>();
  private next = 0;
  /** Every read: which key, which version, how much of it. */
  readonly reads: { key: string; versionId: string; maxBytes?: number }[] = [];

  /** Writes a new version of `key` (the old ones stay) and returns its id. */
  put(bucket: string, key: string, bytes: Buffer): string {
    const versionId = `v${++this.next}`;
    this.versions.set(`${bucket}/${key}@${versionId}`, bytes);
    return versionId;
  }
  async read(bucket: string, key: string, version: { versionId: string; maxBytes?: number }): Promise<Buffer> {
    this.reads.push({ key, ...version });
    const bytes = this.versions.get(`${bucket}/${key}@${version.versionId}`);
    if (bytes === undefined)
      throw Object.assign(new Error(`no ${key} version ${version.versionId}`), { name: 'NoSuchVersion' });
    return version.maxBytes === undefined ? bytes : bytes.subarray(0, version.maxBytes);
  }
}

/** What the webhook receiver stored for the changes it verified: only events `admit`ted are. */
export class MemoryAdmissions implements AdmittedChanges {
  private readonly digests = new Map<string, string>();

  admit(event: SourceEvent): void {
    this.digests.set(`${event.provider}#${event.deliveryId}#${event.eventId}`, sourceEventDigest(event));
  }

  async admittedDigest(key: { provider: string; deliveryId: string }, eventId: string): Promise<string | undefined> {
    return this.digests.get(`${key.provider}#${key.deliveryId}#${eventId}`);
  }
}

/**
 * Each pipeline as "deployed": `deployed` is what DescribeStateMachine would return now, and what
 * DescribeStateMachineForExecution returns for an execution of its state machine, unless
 * `executed` says what the executions run (the configuration changed since they started).
 */
export class MemoryPipelines implements DeployedPipelines, ExecutionPipelines {
  deployed: PipelineDefinition | undefined = DEFINITION;
  executed: PipelineDefinition | undefined;
  readonly asked: string[] = [];

  async definitionOf(stateMachineArn: string): Promise<PipelineDefinition> {
    this.asked.push(stateMachineArn);
    if (this.deployed === undefined) throw new Error(`State machine does not exist: ${stateMachineArn}`);
    return this.deployed;
  }

  async pipelineOfExecution(executionArn: string): Promise<PipelineDefinition> {
    const ran = this.executed ?? this.deployed;
    const machine = `:execution:gantry-pipeline-${ran?.name}:`;
    if (ran === undefined || !executionArn.includes(machine))
      throw Object.assign(new Error(`Execution Does Not Exist: '${executionArn}'`), { name: 'ExecutionDoesNotExist' });
    return ran;
  }
}

export interface PipelineFakes {
  /** Every step's ports, EvaluateGates' artifacts included. */
  readonly deps: GateDeps & { readonly pipelines: DeployedPipelines & ExecutionPipelines };
  readonly pipelines: MemoryPipelines;
  readonly runs: DynamoDbRunStore;
  readonly executions: RecordingExecutions;
  readonly statuses: RecordingStatuses;
  readonly audit: MemoryAudit;
  readonly bus: MemoryBus;
  readonly artifacts: MemoryArtifacts;
  now: Date;
}

/** Pipeline steps over a real runs table (dynalite) and recording fakes for everything else. */
export function pipelineFakes(client: DynamoDBClient, tableName: string): PipelineFakes {
  const f = {
    runs: new DynamoDbRunStore(documentClient(client), tableName),
    executions: new RecordingExecutions(),
    statuses: new RecordingStatuses(),
    audit: new MemoryAudit(),
    bus: new MemoryBus(),
    artifacts: new MemoryArtifacts(),
    pipelines: new MemoryPipelines(),
    now: new Date('2026-11-23T10:00:00.000Z'),
  };
  const log = () => undefined;
  const deps: PipelineFakes['deps'] = {
    ...f,
    secrets: new StaticSecrets({ current: { webhookSecret: 's', apiToken: 't' } }),
    logger: { info: log, warn: log, error: log } as unknown as PipelineDeps['logger'],
    clock: () => f.now,
  };
  return Object.assign(f, { deps });
}

/**
 * One dynalite for a test file (started before its tests, stopped after them) and a fresh runs
 * table with the pipeline fakes over it on each `fresh()`, so no test sees another's runs.
 */
export function runsTableFixture(prefix = 'runs') {
  let dynamo: RunningDynalite | undefined;
  const clients: DynamoDBClient[] = [];
  let count = 0;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await dynamo?.close();
  });
  return {
    async fresh(): Promise<{ client: DynamoDBClient; fakes: PipelineFakes }> {
      if (dynamo === undefined)
        throw new Error('runsTableFixture: fresh() is for tests and beforeEach, after beforeAll');
      const name = `${prefix}-${++count}`;
      const client = await createRunsTable(dynamo.endpoint, name);
      clients.push(client);
      return { client, fakes: pipelineFakes(client, name) };
    },
  };
}

/**
 * What the Deploy step leaves on a run once it opened a lambda deployment (3 → 4 on widgets-dev),
 * and with `deploymentId` once it noted CodeDeploy's id.
 */
export async function openedDeployment(
  runs: DynamoDbRunStore,
  runId: string,
  at: Date,
  deploymentId?: string,
): Promise<void> {
  await runs.openDeployment(
    runId,
    {
      taskToken: 'token-1',
      target: 'widgets-dev',
      strategy: 'Canary10Percent5Minutes',
      fromVersion: '3',
      toVersion: '4',
      status: 'in_progress',
      startedAt: at.toISOString(),
    },
    at,
  );
  if (deploymentId !== undefined) await runs.setDeploymentId(runId, deploymentId, at);
}
