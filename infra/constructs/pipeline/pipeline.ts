import { Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import {
  BuildEnvironmentVariableType,
  BuildSpec,
  type CfnProject,
  ComputeType,
  LinuxBuildImage,
  Project,
  ReportGroup,
  ReportGroupType,
} from 'aws-cdk-lib/aws-codebuild';
import { EventField, type IEventBus, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  DefinitionBody,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  type AdmissionState,
  DETAIL_TYPES,
  jsonPathIn,
  type PipelineDefinition,
  SOURCE_EVENT_SOURCE,
} from '../../../events';
import { buildProjectName } from '../../../shared/config/names';
import {
  type BuildClass,
  buildClassPath,
  CLASS_TAG,
  sourcesPath,
  TRUST_TAG,
  trustOfClass,
} from '../../../shared/pipelines/artifact-layout';
import { eventPatternFor } from '../../../shared/pipelines/branches';
import { type PipelineConfig, secretIdOf } from '../../config/schema';
import type { GantryFunction } from '../gantry-function';
import {
  approvalFragment,
  buildFragment,
  deployFragment,
  FailurePath,
  gatesFragment,
  planFragment,
  provenanceFragment,
  reportFragment,
  rollbackFragment,
  type Steps,
  sourceFragment,
} from './fragments';
import { pipelineStateMachineName } from './names';
import { PrefixArtifacts } from './prefix-artifacts';
import { SnapshotSource } from './snapshot-source';

export interface PipelineProps {
  readonly config: PipelineConfig;
  /** The pipeline's config as ResolvePlan reads it (approvers resolved, names filled in). */
  readonly definition: PipelineDefinition;
  readonly steps: Steps;
  readonly bus: IEventBus;
  readonly artifacts: IBucket;
  readonly artifactsKey: IKey;
  /** Where rule deliveries that could not start a run go. */
  readonly triggerDeadLetters: IQueue;
}

/** A build that CodeBuild cannot start within an hour (account limits) times out rather than queueing for 8 h. */
const BUILD_QUEUE_TIMEOUT = Duration.hours(1);

/** Step Functions ends any execution after a year; a wait may not outlast it. */
const LONGEST_WAIT = Duration.days(360);

/**
 * How long a queued run waits for its lane: twice the longest a run of this pipeline can take
 * (build, the longest approval, the longest deployment and bake, and the steps between), and
 * never less than a week, so a run queued behind a long approval ends FAILED with a reason
 * instead of dying QUEUED.
 */
export function laneWait(definition: PipelineDefinition, buildTimeout: Duration): Duration {
  const longest = (values: number[]) => Math.max(0, ...values);
  const approval = longest(definition.environments.map((e) => (e.approval.required ? e.approval.timeoutMinutes : 0)));
  const deploy = longest(
    definition.environments.map((e) => (e.deploy ? e.deploy.timeoutSeconds / 60 + e.deploy.bakeSeconds / 60 : 0)),
  );
  const run = buildTimeout.toMinutes() + approval + deploy + 30;
  return Duration.minutes(Math.min(LONGEST_WAIT.toMinutes(), Math.max(7 * 24 * 60, Math.ceil(2 * run))));
}

/** A JSONPath into the admission state machine's input: the change's start, as the trigger rules send it. */
const admissionPath = jsonPathIn<AdmissionState>();

/** Construct ids by class: the ungated project keeps the ids the one trusted project had. */
const CLASS_IDS: Readonly<Record<BuildClass, string>> = { ungated: '', gated: 'Gated', untrusted: 'Untrusted' };

const CLASS_DESCRIPTIONS: Readonly<Record<BuildClass, string>> = {
  ungated: 'trusted builds, for environments needing no approval, of',
  gated: 'trusted builds, for environments needing approval, of',
  untrusted: 'untrusted builds (pull requests) of',
};

const COMPUTE: Record<PipelineConfig['build']['computeSize'], ComputeType> = {
  small: ComputeType.SMALL,
  medium: ComputeType.MEDIUM,
  large: ComputeType.LARGE,
  '2xlarge': ComputeType.X2_LARGE,
};

/**
 * The Secrets Manager variables a class of build runs with: `build.secrets` in both trusted
 * projects, `build.gatedSecrets` only in the gated one (a push to a preview branch never sees
 * them), nothing in the untrusted one.
 */
export function secretsOfClass(build: PipelineConfig['build'], cls: BuildClass): Readonly<Record<string, string>> {
  if (cls === 'gated') return { ...build.secrets, ...build.gatedSecrets };
  return trustOfClass(cls) === 'trusted' ? build.secrets : {};
}

/**
 * One pipeline: its CodeBuild project and report groups, its Standard state machine (plan,
 * build, gates, approval, deploy, status), the Express admission state machine that names each
 * run after the change it builds, and one EventBridge rule per trigger.
 */
export class Pipeline extends Construct {
  /** Trusted builds of refs a push or tag trigger names that deploy to no environment needing approval; the pipeline's secrets. */
  readonly project: Project;
  /** Trusted builds of refs that deploy to an environment needing approval; the pipeline's secrets, a prefix of their own. */
  readonly gatedProject: Project;
  /** Pull-request builds: no secrets, no release artifacts, never deployed. */
  readonly untrustedProject: Project;
  readonly stateMachine: StateMachine;
  readonly admission: StateMachine;
  readonly rules: Rule[];

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    this.project = this.buildProject(props, 'ungated');
    this.gatedProject = this.buildProject(props, 'gated');
    this.untrustedProject = this.buildProject(props, 'untrusted');
    this.stateMachine = this.pipelineStateMachine(props);
    this.admission = this.admissionStateMachine(props.config.name);
    for (const machine of [this.stateMachine, this.admission]) {
      Validations.of(machine).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs delivery (logs:*LogDelivery*) and X-Ray (PutTraceSegments) do not support resource-level permissions.',
      });
    }
    this.rules = this.triggerRules(props);
  }

  /**
   * One CodeBuild project per class of build (BUILD_CLASSES), each with its own role, writing
   * under a prefix of its own. The gated and ungated projects build refs a push or tag trigger
   * names and hold the pipeline's secrets: the gated one those that deploy to an environment
   * needing approval, so no other build's role can write where they write. The untrusted one
   * builds pull requests with no secrets. `build.gatedSecrets` go to the gated project alone.
   */
  private buildProject(props: PipelineProps, cls: BuildClass): Project {
    const { config } = props;
    const projectName = buildProjectName(config.name, cls);
    const trust = trustOfClass(cls);
    const secrets = secretsOfClass(config.build, cls);
    const id = CLASS_IDS[cls];
    const artifactsPath = buildClassPath(config.name, cls);
    const project = new Project(this, `${id}Build`, {
      projectName,
      description: `Gantry pipeline ${config.name}: ${CLASS_DESCRIPTIONS[cls]} ${config.source.repository}`,
      source: new SnapshotSource({ bucket: props.artifacts, path: sourcesPath(config.name) }),
      buildSpec: BuildSpec.fromSourceFilename(config.build.buildspec),
      environment: {
        buildImage: LinuxBuildImage.STANDARD_7_0,
        computeType: COMPUTE[config.build.computeSize],
        privileged: false,
        environmentVariables: {
          ...Object.fromEntries(Object.entries(config.build.env).map(([k, value]) => [k, { value }])),
          ...Object.fromEntries(
            Object.entries(secrets).map(([k, value]) => [
              k,
              { value, type: BuildEnvironmentVariableType.SECRETS_MANAGER },
            ]),
          ),
        },
      },
      timeout: Duration.minutes(config.build.timeoutMinutes),
      queuedTimeout: BUILD_QUEUE_TIMEOUT,
      artifacts: new PrefixArtifacts({ bucket: props.artifacts, path: artifactsPath }),
      encryptionKey: props.artifactsKey,
      logging: {
        cloudWatch: {
          logGroup: new LogGroup(this, `${id}BuildLogs`, {
            retention: RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        },
      },
    });
    Tags.of(project).add(TRUST_TAG, trust);
    Tags.of(project).add(CLASS_TAG, cls);
    for (const [kind, type] of [
      ['tests', ReportGroupType.TEST],
      ['coverage', ReportGroupType.CODE_COVERAGE],
    ] as const) {
      // No export bucket: the gates read reports from the build's own artifacts, and an export
      // grant would let the project write anywhere in the bucket.
      const group = new ReportGroup(this, `${id}${kind}Reports`, {
        reportGroupName: `${projectName}-${kind}`,
        type,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      group.grantWrite(project);
    }
    for (const secret of new Set(Object.values(secrets).map(secretIdOf))) {
      Secret.fromSecretNameV2(project, `Secret-${secret}`, secret).grantRead(project);
    }
    acknowledgeBuildGrants(project, artifactsPath, sourcesPath(config.name));
    return project;
  }

  private pipelineStateMachine(props: PipelineProps): StateMachine {
    const states = new Construct(this, 'States');
    const failures = new FailurePath(states, props.steps);
    const report = reportFragment(states, props.steps, failures);
    const deploy = deployFragment(states, props.steps, failures, props.definition, report);
    const approval = approvalFragment(states, props.steps, failures, props.definition, deploy);
    const gates = gatesFragment(states, props.steps, failures, approval);
    const buildTimeout = BUILD_QUEUE_TIMEOUT.plus(Duration.minutes(props.config.build.timeoutMinutes + 15));
    const build = buildFragment(states, failures, buildTimeout);
    build.next(provenanceFragment(states, props.steps, failures, gates));
    const source = sourceFragment(states, props.steps, failures, build);
    const definition = planFragment(
      states,
      props.steps,
      failures,
      props.definition,
      laneWait(props.definition, buildTimeout),
      rollbackFragment(states, props.definition, approval, source),
    );
    const machine = new StateMachine(this, 'StateMachine', {
      stateMachineName: pipelineStateMachineName(props.config.name),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'RunLogs', {
          retention: RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        // Execution data would put task tokens (and plans) in CloudWatch Logs, where a token plus
        // states:SendTaskSuccess answers an approval without decide().
        includeExecutionData: false,
      },
    });
    grantBuild(machine, [this.project, this.gatedProject, this.untrustedProject]);
    acknowledgeInvokeGrants(machine, Object.values(props.steps));
    return machine;
  }

  /**
   * Names each run after the change and the pipeline (SHA-256 of `<pipeline>#<event id>`), so a
   * redelivered event never starts a second run, and two pipelines of one repository never share one.
   */
  private admissionStateMachine(pipeline: string): StateMachine {
    const states = new Construct(this, 'AdmissionStates');
    // The key is formatted in one state and hashed in the next, each a Pass of one intrinsic: local
    // mode's engine hashes strings past 55 bytes wrongly, and its emulator hashes such a Pass itself.
    const key = new Pass(states, 'NameRun', {
      parameters: {
        value: JsonPath.format(`${pipeline}#{}`, JsonPath.stringAt(admissionPath('source', 'eventId'))),
      },
      resultPath: admissionPath('runKey'),
    });
    const hash = new Pass(states, 'HashRunKey', {
      parameters: { value: JsonPath.hash(JsonPath.stringAt(admissionPath('runKey', 'value')), 'SHA-256') },
      resultPath: admissionPath('runName'),
    });
    const start = new StepFunctionsStartExecution(states, 'StartRun', {
      stateMachine: this.stateMachine,
      name: JsonPath.stringAt(admissionPath('runName', 'value')),
      input: TaskInput.fromObject({
        trigger: JsonPath.stringAt(admissionPath('trigger')),
        source: JsonPath.objectAt(admissionPath('source')),
      }),
      associateWithParent: true,
      resultPath: JsonPath.DISCARD,
    });
    // The delivery was acknowledged (202) before this: a throttled or failed start is retried
    // with backoff, never dropped. An existing run is not retried: it goes to AlreadyStarted.
    start.addRetry({ errors: ['StepFunctions.ExecutionAlreadyExistsException'], maxAttempts: 0 });
    start.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 8,
      maxDelay: Duration.seconds(60),
      jitterStrategy: JitterType.FULL,
    });
    start.addCatch(new Succeed(states, 'AlreadyStarted', { comment: 'The run of this change exists: a redelivery' }), {
      errors: ['StepFunctions.ExecutionAlreadyExistsException'],
    });
    return new StateMachine(this, 'Admission', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(key.next(hash).next(start)),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'AdmissionLogs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        // Execution data would put task tokens (and plans) in CloudWatch Logs, where a token plus
        // states:SendTaskSuccess answers an approval without decide().
        includeExecutionData: false,
      },
    });
  }

  private triggerRules(props: PipelineProps): Rule[] {
    const { config } = props;
    const repository = { fullName: [config.source.repository] };
    // The same owner/name at another provider is someone else's repository.
    const provider = [config.source.provider];
    const rules: Rule[] = [];
    const rule = (trigger: string, detailType: string, detail: Record<string, unknown>) => {
      const r = new Rule(this, `${trigger}Trigger`, {
        ruleName: `gantry-${config.name}-${trigger}`,
        eventBus: props.bus,
        description: `Gantry pipeline ${config.name}: ${trigger}`,
        eventPattern: {
          source: [SOURCE_EVENT_SOURCE],
          detailType: [detailType],
          detail: { provider, repository, ...detail },
        },
      });
      r.addTarget(
        new SfnStateMachine(this.admission, {
          input: RuleTargetInput.fromObject({ trigger, source: EventField.fromPath('$.detail') }),
          deadLetterQueue: props.triggerDeadLetters,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      );
      rules.push(r);
    };
    const { push, tags, pullRequests } = config.triggers;
    if (push) rule('push', DETAIL_TYPES.push, { branch: eventPatternFor(push.branches) });
    if (tags) rule('tag', DETAIL_TYPES.tag, { tag: eventPatternFor(tags.include) });
    if (pullRequests) {
      rule('pull_request', DETAIL_TYPES.pull_request, {
        pullRequest: { targetBranch: eventPatternFor(pullRequests.targetBranches), action: ['opened', 'updated'] },
      });
    }
    return rules;
  }
}

/** What StartBuild .sync needs: the pipeline's own builds, and the managed rule Step Functions watches builds with. */
function grantBuild(machine: StateMachine, projects: readonly Project[]): void {
  machine.addToRolePolicy(
    new PolicyStatement({
      actions: ['codebuild:StartBuild', 'codebuild:StopBuild', 'codebuild:BatchGetBuilds', 'codebuild:BatchGetReports'],
      resources: projects.map((p) => p.projectArn),
    }),
  );
  const stack = Stack.of(machine);
  machine.addToRolePolicy(
    new PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventForCodeBuildStartBuildRule',
        }),
      ],
    }),
  );
}

/** The wildcards left in a build project's grants, each with why it is there. */
function acknowledgeBuildGrants(project: Project, artifactsPath: string, snapshotsPath: string): void {
  const id = Stack.of(project).getLogicalId(project.node.defaultChild as CfnProject);
  const reasons: Record<string, string> = {
    'Action::kms:GenerateDataKey*': 'Artifacts are encrypted with the artifacts key.',
    'Action::kms:ReEncrypt*': 'Artifacts are encrypted with the artifacts key.',
    [`Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/${artifactsPath}/*`]: `s3:PutObject only, under this project's own prefix ${artifactsPath}/ (CodeBuild adds one folder per build id); no read, list or delete.`,
    [`Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/${snapshotsPath}/*`]: `s3:GetObject and s3:GetObjectVersion only, under this pipeline's own snapshot prefix ${snapshotsPath}/ (one digest-named key per fetched commit); FetchSource alone writes there.`,
    [`Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${id}>:*`]:
      "The project's own log group; one stream per build.",
    [`Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<${id}>-*`]:
      "CodeBuild's grant for the report groups named after the project (a buildspec's reports: tests, coverage). The prefix also matches report groups of projects whose names extend this one (the trusted project gantry-<p>'s covers gantry-<p>-gated-* and gantry-<p>-untrusted-*, and a pipeline named <p>-x's). Gates and provenance read the build's artifacts, never report groups, so a report written there changes no verdict; it can only mislead the CodeBuild console's Reports page.",
  };
  for (const [finding, reason] of Object.entries(reasons)) {
    Validations.of(project).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/** Step Functions may invoke any version of each step function (CDK grants `function:*`). */
function acknowledgeInvokeGrants(machine: StateMachine, steps: readonly GantryFunction[]): void {
  for (const step of steps) {
    step.function.grantInvoke(machine);
    const id = Stack.of(step).getLogicalId(step.function.node.defaultChild as CfnFunction);
    Validations.of(machine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
      reason: 'The pipeline invokes its step functions, any version.',
    });
  }
}
