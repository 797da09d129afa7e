import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import { EventField, type IEventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type CfnRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUILD_TRUSTS, ENDED_UNREPORTED, NOTIFICATION_DETAIL_TYPES, PIPELINE_EVENT_SOURCE } from '../../../events';
import { buildArtifactsPath, sourcesPath } from '../../../shared/pipelines/artifact-layout';
import { PIPELINE_ENV, type StatusApis } from '../../../shared/pipelines/env';
import { PROVENANCE_ENV } from '../../../shared/provenance/env';
import { SOURCE_ENV } from '../../../shared/source/env';
import { DELIVERY_KEY_PATTERNS } from '../../../shared/webhooks/delivery-keys';
import { Artifacts } from '../artifacts';
import { type AuditWriting, grantAuditAppend } from '../audit-checkpoints';
import { grantPutEventsFrom } from '../bus-grants';
import type { ConnectionSecrets } from '../connection-secrets';
import type { CrossAccountStep, TargetAccounts } from '../cross-account';
import { DeliveriesTable } from '../deliveries-table';
import { grantReleaseSteps, grantStopDeployments, type NamedTarget } from '../deployments';
import { GantryFunction } from '../gantry-function';
import { artifactsBucketName, DELIVERIES_TABLE_NAME, RUNS_TABLE_NAME, signerRoleName } from '../names';
import { RunsTable } from '../runs-table';
import { pipelineArns } from './names';

/** How often the sweep reconciles active runs with their executions. */
const SWEEP_EVERY = Duration.minutes(5);

const RUN_FAILED = NOTIFICATION_DETAIL_TYPES['run-failed'];

export interface PipelineStepsProps {
  readonly bus: IEventBus;
  /** The key that encrypts build artifacts (reports included). */
  readonly artifactsKey: IKey;
  /** The key that signs build provenance. */
  readonly provenanceKey: IKey;
  readonly connections: ConnectionSecrets;
  /** Where each connection's commit statuses go (and its archives come from). */
  readonly statusApis: StatusApis;
  /** The connections pipelines fetch source through: the only secrets FetchSource may read. @default every connection */
  readonly sourceConnections?: readonly string[];
  /** The environments' deploy targets, which Deploy releases into and ResolvePlan and RecordFailure may stop. @default none */
  readonly deployTargets?: readonly NamedTarget[];
  /** The accounts targets outside the control plane's live in, which the acting steps assume roles in. @default none */
  readonly targetAccounts?: TargetAccounts;
  /** The audit ledger: every function this construct creates appends to it. */
  readonly audit: AuditWriting;
  /**
   * Run events are published for notifications: the steps where a run ends (ReportStatus,
   * RecordFailure) or rolls back (the Deploy steps) may put them on the bus. RequestApproval
   * publishes its request, and the sweep on WaitTurn the runs it closes, in any case. @default false
   */
  readonly publishesRunEvents?: boolean;
  /** The triggers dead-letter queue: where the status of a cancelled or swept run waits when its provider would not take it. */
  readonly deadLetters: IQueue;
}

export type StepName =
  | 'resolvePlan'
  | 'waitTurn'
  | 'fetchSource'
  | 'recordProvenance'
  | 'evaluateGates'
  | 'requestApproval'
  | 'recordFailure'
  | 'reportStatus'
  | 'deployRelease'
  | 'deployVerify';

/**
 * The Lambda functions every pipeline's state machine calls, shared by all pipelines (each
 * state machine carries its pipeline's config), each granted exactly what its step does.
 */
export class PipelineSteps extends Construct {
  readonly functions: Readonly<Record<StepName, GantryFunction>>;

  constructor(scope: Construct, id: string, props: PipelineStepsProps) {
    super(scope, id);
    const environment = {
      [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME,
      [PIPELINE_ENV.eventBus]: props.bus.eventBusName,
      [PIPELINE_ENV.statusApis]: JSON.stringify(props.statusApis),
      [PROVENANCE_ENV.keyId]: props.provenanceKey.keyArn,
    };
    const make = (name: string, description: string, timeout = 30) =>
      new GantryFunction(this, name, { name, description, environment, timeout: Duration.seconds(timeout) });
    this.functions = {
      resolvePlan: new GantryFunction(this, 'resolve-plan', {
        name: 'resolve-plan',
        description: 'Plans a pipeline run, records it, applies the concurrency policy',
        environment: { ...environment, [PIPELINE_ENV.deliveriesTable]: DELIVERIES_TABLE_NAME },
        timeout: Duration.seconds(30),
      }),
      waitTurn: make('wait-turn', 'Parks a queued run until its lane is free'),
      fetchSource: new GantryFunction(this, 'fetch-source', {
        name: 'fetch-source',
        description: "Fetches a run's commit from its provider and stores the snapshot its build runs from",
        environment: { ...environment, [SOURCE_ENV.bucket]: artifactsBucketName() },
        // The archive and its repacked snapshot are both held in memory (256 MiB download at most).
        memorySize: 1536,
        timeout: Duration.minutes(5),
      }),
      recordProvenance: make(
        'record-provenance',
        "Hashes a build's artifacts and signs their SLSA provenance (the build never can)",
        300,
      ),
      evaluateGates: make('evaluate-gates', "Evaluates quality and security gates on the build's reports", 120),
      requestApproval: make('request-approval', 'Parks a run waiting for approval and announces it'),
      recordFailure: make('record-failure', 'Records what failed in a run'),
      reportStatus: make('report-status', 'Reports commit status and closes the run'),
      deployRelease: make(
        'deploy-release',
        'Publishes the build as a version and starts its CodeDeploy deployment',
        120,
      ),
      deployVerify: make(
        'deploy-verify',
        'Reconciles a deployment whose event never came; checks alarms after the bake',
        60,
      ),
    };
    this.grant(props);
    for (const fn of Object.values(this.functions)) grantAuditAppend(fn, props.audit);
  }

  private grant(props: PipelineStepsProps): void {
    const arns = pipelineArns(this);
    // FetchSource holds provider tokens, talks to the internet and parses archives: it only reads
    // its run (to check the execution owns it), and may never change one.
    // Each step writes only its part of a run (shared/runs/writes.ts); Deploy and DeployCheck are
    // granted theirs by grantReleaseSteps.
    const f = this.functions;
    RunsTable.grantWrites(f.resolvePlan.function, ['status', 'lane'], { create: true });
    RunsTable.grantWrites(f.waitTurn.function, ['status', 'lane']);
    RunsTable.grantWrites(f.evaluateGates.function, ['build', 'gates', 'stages']);
    RunsTable.grantWrites(f.recordProvenance.function, ['provenance']);
    RunsTable.grantWrites(f.requestApproval.function, ['approval', 'stages']);
    // A failure closes whatever the run had open: its stage, an approval that expired, a deployment.
    RunsTable.grantWrites(f.recordFailure.function, ['stages', 'status', 'approval', 'deployment']);
    RunsTable.grantWrites(f.reportStatus.function, ['stages', 'status']);
    // Listing a lane's runs: to plan (who took part since the last release), queue and hand the lane on.
    for (const step of [f.resolvePlan, f.waitTurn]) RunsTable.grant(step.function, ['dynamodb:Query']);
    // A cancelled run's status is not posted over a newer run of its commit (reportEnded).
    RunsTable.grant(f.reportStatus.function, ['dynamodb:Query']);
    RunsTable.grant(f.fetchSource.function, ['dynamodb:GetItem'], { indexes: false });
    const {
      resolvePlan,
      waitTurn,
      evaluateGates,
      requestApproval,
      reportStatus,
      recordProvenance,
      recordFailure,
      deployRelease,
      deployVerify,
    } = this.functions;
    resolvePlan.function.addToRolePolicy(
      new PolicyStatement({ actions: ['states:StopExecution'], resources: [arns.executions] }),
    );
    // DescribeStateMachineForExecution: the pipeline a run is planned for is the one its own
    // execution runs, never the one a direct invoke's payload names.
    resolvePlan.function.addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeStateMachineForExecution'], resources: [arns.executions] }),
    );
    // A task failed as timed out is believed only when the execution's own history says Step
    // Functions timed it out: a token holder's SendTaskFailure(States.Timeout) reads the same.
    recordFailure.function.addToRolePolicy(
      new PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: [arns.executions] }),
    );
    Validations.of(recordFailure.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:gantry-pipeline-*:*]',
      reason:
        "Reads (GetExecutionHistory only) the history of the failed run's own execution, of any pipeline, to tell Step Functions' timeout from a hand-made one; all pipeline state machines are named gantry-pipeline-*.",
    });
    // Steps that act re-check each counted approver against the pipeline as deployed now, and
    // RequestApproval names today's approvers (read only).
    for (const step of [deployRelease, reportStatus, requestApproval])
      step.function.addToRolePolicy(
        new PolicyStatement({ actions: ['states:DescribeStateMachine'], resources: [arns.stateMachines] }),
      );
    // Deploy tells a run planned under a configuration since changed (refused, a new run follows)
    // from a record no planner wrote (a forgery that pages): it reads the pipeline the run's own
    // execution runs, and whether that execution is still running.
    deployRelease.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeStateMachineForExecution', 'states:DescribeExecution'],
        resources: [arns.executions],
      }),
    );
    Validations.of(deployRelease.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:gantry-pipeline-*:*]',
      reason:
        "Reads (DescribeStateMachineForExecution, DescribeExecution only) the configuration and status of the run's own execution, of any pipeline, to tell a configuration changed since the run was planned from a forged record; all pipeline state machines are named gantry-pipeline-*.",
    });
    // Plans only changes the webhook receiver verified: it reads (never writes) their digests.
    DeliveriesTable.grantReadItems(resolvePlan.function, { leadingKeys: DELIVERY_KEY_PATTERNS });
    // The lane's one keeper: WaitTurn parks a queued run, ReleaseLane resumes it. Neither
    // ResolvePlan nor ReportStatus (which talks to providers on the internet) may answer a task.
    waitTurn.function.addToRolePolicy(
      new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [arns.stateMachines] }),
    );
    // The sweep: every few minutes the keeper checks that each active run's execution still runs.
    waitTurn.function.addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [arns.executions] }),
    );
    new Rule(this, 'Sweep', {
      description: 'Closes runs whose execution ended without closing them, and hands their lanes on',
      schedule: Schedule.rate(SWEEP_EVERY),
      targets: [
        new LambdaFunction(waitTurn.function, {
          event: RuleTargetInput.fromObject({ sweep: 'runs' }),
          retryAttempts: 2,
        }),
      ],
    });
    // Whoever posts a commit status reads the connection's token: ResolvePlan (pending),
    // ReportStatus (the outcome) and RecordFailure (a run that could not be planned).
    for (const step of [resolvePlan, reportStatus, recordFailure]) props.connections.grantReadTokens(step.function);
    grantFetchSource(this.functions.fetchSource, props);
    grantReadArtifacts(evaluateGates, props.artifactsKey);
    grantRecordProvenance(recordProvenance, props.artifactsKey, props.provenanceKey);
    grantPutEventsFrom(props.bus, requestApproval.function, PIPELINE_EVENT_SOURCE);
    if (props.publishesRunEvents)
      for (const step of [reportStatus, recordFailure, deployRelease, deployVerify])
        grantPutEventsFrom(props.bus, step.function, PIPELINE_EVENT_SOURCE);
    // The sweep announces each run it closes, notifications or not: that event is what reports its commit.
    grantPutEventsFrom(props.bus, waitTurn.function, PIPELINE_EVENT_SOURCE, { detailType: RUN_FAILED });
    reportEndedRuns(this, props.bus, reportStatus, props.deadLetters);
    acknowledgePipelineWildcards(resolvePlan, waitTurn, [deployRelease, reportStatus, requestApproval]);
    this.grantDeploys(props);
  }

  /** Releasing, and stopping a release, wherever the targets are. */
  private grantDeploys(props: PipelineStepsProps): void {
    const targets = props.deployTargets ?? [];
    if (targets.length === 0) return;
    const { resolvePlan, recordFailure, deployRelease, deployVerify } = this.functions;
    grantReleaseSteps(deployRelease, deployVerify, {
      targets,
      artifactsKey: props.artifactsKey,
      provenanceKey: props.provenanceKey,
    });
    for (const stopper of [resolvePlan, recordFailure]) grantStopDeployments(stopper, targets);
    const acting: [CrossAccountStep, GantryFunction][] = [
      ['deploy-release', deployRelease],
      ['deploy-verify', deployVerify],
      ['resolve-plan', resolvePlan],
      ['record-failure', recordFailure],
    ];
    for (const [step, fn] of acting) props.targetAccounts?.grantAssumeTargetRoles(fn, step);
  }
}

/**
 * The commit status of a run that ended without its ReportStatus step (an operator's cancel, the
 * sweep's close): their `Run Failed` event, from this account, invokes report-status with the run's
 * id alone, and the function reads what to say from the run record. It holds the connection's
 * token already; the operator API and the sweep, which announce those ends, never do.
 *
 * Nothing else ever posts that status, so neither an invoke that fails nor a provider that is
 * down drops it: EventBridge retries reaching the function, the function fails when the provider
 * does not take the status (reportEnded), Lambda tries twice more, and then the event waits in
 * the triggers dead-letter queue (alarmed) for `gantry dlq redrive`. Step Functions' own calls
 * to report-status are synchronous, and this configuration does not touch them.
 */
function reportEndedRuns(scope: Construct, bus: IEventBus, reportStatus: GantryFunction, deadLetters: IQueue): Rule {
  reportStatus.function.configureAsyncInvoke({
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
    onFailure: new SqsDestination(deadLetters),
  });
  return new Rule(scope, 'ReportEndedRuns', {
    description: 'Posts the commit status of a run cancelled by an operator or closed by the sweep',
    eventBus: bus,
    eventPattern: {
      source: [PIPELINE_EVENT_SOURCE],
      detailType: [RUN_FAILED],
      account: [Aws.ACCOUNT_ID],
      detail: { failure: { error: Object.values(ENDED_UNREPORTED) } },
    },
    targets: [
      new LambdaFunction(reportStatus.function, {
        event: RuleTargetInput.fromObject({ ended: { runId: EventField.fromPath('$.detail.runId') } }),
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: deadLetters,
      }),
    ],
  });
}

/**
 * RecordProvenance: lists and reads what builds wrote (every version, so a second one or one
 * written outside the build's upload is seen), asks CodeBuild about the build,
 * writes only under `provenance/`, and is the one role that may sign with the provenance key.
 */
function grantRecordProvenance(step: GantryFunction, artifactsKey: IKey, provenanceKey: IKey): void {
  const fn = step.function;
  Artifacts.grantListVersions(fn);
  Artifacts.grantReadObjects(
    fn,
    BUILD_TRUSTS.map((trust) => buildArtifactsPath('*', trust)),
    { versions: true },
  );
  Artifacts.grantReadObjects(fn, [sourcesPath('*')], { versions: true });
  Artifacts.grantPutObjects(fn, ['provenance/*']);
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['codebuild:BatchGetBuilds'],
      resources: [Stack.of(step).formatArn({ service: 'codebuild', resource: 'project', resourceName: 'gantry-*' })],
    }),
  );
  artifactsKey.grantEncryptDecrypt(fn);
  (step.role.node.defaultChild as CfnRole).roleName = signerRoleName('record-provenance');
  provenanceKey.grant(fn, 'kms:Sign');
  for (const [finding, reason] of Object.entries({
    'Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/releases/*':
      "Hashes every artifact of any pipeline's release builds (one prefix per pipeline and build).",
    'Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/untrusted/*':
      "Hashes every artifact of any pipeline's untrusted builds (one prefix per pipeline and build).",
    'Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/sources/*':
      'Hashes the source snapshot a build ran from (the exact version CodeBuild reports), of any pipeline, to name it in the provenance.',
    'Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/provenance/*':
      'Writes one provenance envelope per build under provenance/<pipeline>/; builds cannot write there.',
    'Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:project/gantry-*':
      'Reads how any pipeline build ran (project, commit, artifacts); every Gantry project is named gantry-*.',
    'Action::kms:GenerateDataKey*': 'The provenance envelope is encrypted with the artifacts key.',
    'Action::kms:ReEncrypt*': 'The provenance envelope is encrypted with the artifacts key.',
  })) {
    Validations.of(step.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/**
 * FetchSource: reads the tokens of the connections pipelines fetch through, and writes (never
 * reads or deletes) snapshots under `sources/`, encrypting them with the artifacts key.
 */
function grantFetchSource(step: GantryFunction, props: PipelineStepsProps): void {
  const fn = step.function;
  props.connections.grantReadTokens(fn, props.sourceConnections);
  Artifacts.grantPutObjects(fn, [sourcesPath('*')]);
  props.artifactsKey.grant(fn, 'kms:GenerateDataKey');
  Validations.of(step.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/sources/*]',
    reason:
      "Writes each run's source snapshot under sources/<pipeline>/<commit>/<sha256>.zip, for any pipeline (one shared step); s3:PutObject only.",
  });
}

/** Reads what builds wrote (reports among it) at the versions their provenance attested, decrypting with its key. */
function grantReadArtifacts(step: GantryFunction, key: IKey): void {
  Artifacts.grantReadObjects(
    step.function,
    BUILD_TRUSTS.map((trust) => buildArtifactsPath('*', trust)),
    { versions: true },
  );
  key.grantDecrypt(step.function);
  for (const [prefix, builds] of [
    ['releases', 'release'],
    ['untrusted', 'untrusted'],
  ])
    Validations.of(step.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/${prefix}/*]`,
      reason: `Reads the reports of any pipeline's ${builds} builds (one prefix per pipeline and build), each at the version its provenance attested; never lists the bucket.`,
    });
}

function acknowledgePipelineWildcards(
  resolvePlan: GantryFunction,
  waitTurn: GantryFunction,
  readers: readonly GantryFunction[],
): void {
  for (const reader of readers)
    Validations.of(reader.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
      reason:
        "Reads (DescribeStateMachine only) the deployed configuration of the run's pipeline, any of them, to re-check or name its approvers; all are named gantry-pipeline-*.",
    });
  Validations.of(waitTurn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
    reason: 'Queued runs are resumed by task token on any pipeline state machine; all are named gantry-pipeline-*.',
  });
  Validations.of(waitTurn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:gantry-pipeline-*:*]',
    reason:
      "The sweep reads the status of any active run's execution (DescribeExecution only); all pipeline state machines are named gantry-pipeline-*.",
  });
  Validations.of(resolvePlan.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:gantry-pipeline-*:*]',
    reason:
      "A superseding run stops older executions of its pipeline, and a run's pipeline is read from its own execution (DescribeStateMachineForExecution); all pipeline state machines are named gantry-pipeline-*.",
  });
}
