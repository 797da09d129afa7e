import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  Artifacts as BuildArtifacts,
  BuildEnvironmentVariableType,
  BuildSpec,
  type CfnProject,
  ComputeType,
  LinuxBuildImage,
  Project,
  ReportGroup,
  ReportGroupType,
  Source,
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
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DETAIL_TYPES, SOURCE_EVENT_SOURCE } from '../../../events';
import { eventPatternFor } from '../../../shared/pipelines/branches';
import type { PipelineDefinition } from '../../../shared/pipelines/definition';
import type { PipelineConfig } from '../../config/schema';
import type { GantryFunction } from '../gantry-function';
import {
  approvalFragment,
  buildFragment,
  deployFragment,
  FailurePath,
  gatesFragment,
  planFragment,
  reportFragment,
  rollbackFragment,
  type Steps,
} from './fragments';
import { buildProjectName, pipelineStateMachineName } from './names';

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

const COMPUTE: Record<PipelineConfig['build']['computeSize'], ComputeType> = {
  small: ComputeType.SMALL,
  medium: ComputeType.MEDIUM,
  large: ComputeType.LARGE,
  '2xlarge': ComputeType.X2_LARGE,
};

/**
 * One pipeline: its CodeBuild project and report groups, its Standard state machine (plan,
 * build, gates, approval, deploy, status), the Express admission state machine that names each
 * run after the change it builds, and one EventBridge rule per trigger.
 */
export class Pipeline extends Construct {
  readonly project: Project;
  readonly stateMachine: StateMachine;
  readonly admission: StateMachine;
  readonly rules: Rule[];

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    this.project = this.buildProject(props);
    this.stateMachine = this.pipelineStateMachine(props);
    this.admission = this.admissionStateMachine();
    for (const machine of [this.stateMachine, this.admission]) {
      Validations.of(machine).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs delivery (logs:*LogDelivery*) and X-Ray (PutTraceSegments) do not support resource-level permissions.',
      });
    }
    this.rules = this.triggerRules(props);
  }

  private buildProject(props: PipelineProps): Project {
    const { config } = props;
    const projectName = buildProjectName(config.name);
    const project = new Project(this, 'Build', {
      projectName,
      description: `Gantry pipeline ${config.name}: builds ${config.source.repository}`,
      source: sourceOf(config),
      buildSpec: BuildSpec.fromSourceFilename(config.build.buildspec),
      environment: {
        buildImage: LinuxBuildImage.STANDARD_7_0,
        computeType: COMPUTE[config.build.computeSize],
        privileged: false,
        environmentVariables: {
          ...Object.fromEntries(Object.entries(config.build.env).map(([k, value]) => [k, { value }])),
          ...Object.fromEntries(
            Object.entries(config.build.secrets).map(([k, value]) => [
              k,
              { value, type: BuildEnvironmentVariableType.SECRETS_MANAGER },
            ]),
          ),
        },
      },
      timeout: Duration.minutes(config.build.timeoutMinutes),
      artifacts: BuildArtifacts.s3({
        bucket: props.artifacts,
        path: config.name,
        includeBuildId: true,
        packageZip: false,
        name: 'artifacts',
        encryption: true,
      }),
      encryptionKey: props.artifactsKey,
      logging: {
        cloudWatch: {
          logGroup: new LogGroup(this, 'BuildLogs', {
            retention: RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        },
      },
    });
    for (const [kind, type] of [
      ['tests', ReportGroupType.TEST],
      ['coverage', ReportGroupType.CODE_COVERAGE],
    ] as const) {
      const group = new ReportGroup(this, `${kind}Reports`, {
        reportGroupName: `${projectName}-${kind}`,
        type,
        exportBucket: props.artifacts,
        zipExport: false,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      group.grantWrite(project);
    }
    for (const secret of new Set(Object.values(config.build.secrets).map((v) => v.split(':', 1)[0] ?? v))) {
      Secret.fromSecretNameV2(this, `Secret-${secret}`, secret).grantRead(project);
    }
    acknowledgeBuildGrants(project);
    return project;
  }

  private pipelineStateMachine(props: PipelineProps): StateMachine {
    const states = new Construct(this, 'States');
    const failures = new FailurePath(states, props.steps);
    const report = reportFragment(states, props.steps, failures);
    const deploy = deployFragment(states, props.steps, failures, props.definition, report);
    const approval = approvalFragment(states, props.steps, failures, props.definition, deploy);
    const gates = gatesFragment(states, props.steps, failures, approval);
    const build = buildFragment(states, this.project, failures);
    build.next(gates);
    const change = planFragment(states, props.steps, props.definition, build);
    const definition = rollbackFragment(states, props.definition, approval, change);
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
        includeExecutionData: true,
      },
    });
    grantBuild(machine, this.project);
    acknowledgeInvokeGrants(machine, Object.values(props.steps));
    return machine;
  }

  /** Names each run after the change (SHA-256 of the event id), so a redelivered event never starts a second run. */
  private admissionStateMachine(): StateMachine {
    const states = new Construct(this, 'AdmissionStates');
    const start = new StepFunctionsStartExecution(states, 'StartRun', {
      stateMachine: this.stateMachine,
      name: JsonPath.hash(JsonPath.stringAt('$.source.eventId'), 'SHA-256'),
      input: TaskInput.fromObject({ trigger: JsonPath.stringAt('$.trigger'), source: JsonPath.objectAt('$.source') }),
      associateWithParent: true,
      resultPath: JsonPath.DISCARD,
    });
    start.addCatch(new Succeed(states, 'AlreadyStarted', { comment: 'The run of this change exists: a redelivery' }), {
      errors: ['StepFunctions.ExecutionAlreadyExistsException'],
    });
    return new StateMachine(this, 'Admission', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(start),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'AdmissionLogs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }

  private triggerRules(props: PipelineProps): Rule[] {
    const { config } = props;
    const repository = { fullName: [config.source.repository] };
    const rules: Rule[] = [];
    const rule = (trigger: string, detailType: string, detail: Record<string, unknown>) => {
      const r = new Rule(this, `${trigger}Trigger`, {
        ruleName: `gantry-${config.name}-${trigger}`,
        eventBus: props.bus,
        description: `Gantry pipeline ${config.name}: ${trigger}`,
        eventPattern: { source: [SOURCE_EVENT_SOURCE], detailType: [detailType], detail: { repository, ...detail } },
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

/** CodeBuild's native source for the providers it clones from; the clone URL is overridden per build. */
function sourceOf(config: PipelineConfig) {
  const [owner = '', ...rest] = config.source.repository.split('/');
  const repo = rest.join('/');
  if (config.source.provider === 'github')
    return Source.gitHub({ owner, repo, webhook: false, reportBuildStatus: false });
  if (config.source.provider === 'bitbucket-cloud')
    return Source.bitBucket({ owner, repo, webhook: false, reportBuildStatus: false });
  return undefined;
}

/** What StartBuild .sync needs: the build itself, and the managed rule Step Functions watches builds with. */
function grantBuild(machine: StateMachine, project: Project): void {
  machine.addToRolePolicy(
    new PolicyStatement({
      actions: ['codebuild:StartBuild', 'codebuild:StopBuild', 'codebuild:BatchGetBuilds', 'codebuild:BatchGetReports'],
      resources: [project.projectArn],
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

/** The wildcards of CodeBuild's standard grants, each with why it is there. */
function acknowledgeBuildGrants(project: Project): void {
  const id = Stack.of(project).getLogicalId(project.node.defaultChild as CfnProject);
  const reasons: Record<string, string> = {
    'Action::s3:Abort*': 'CodeBuild uploads artifacts with multipart uploads it may abort.',
    'Action::s3:DeleteObject*': 'CodeBuild replaces artifacts of a rerun build.',
    'Action::s3:GetBucket*': 'CodeBuild reads the artifacts bucket location and encryption settings.',
    'Action::s3:GetObject*': 'CodeBuild reads its own artifacts (and their versions) back.',
    'Action::s3:List*': 'CodeBuild lists the artifacts it writes.',
    'Action::kms:GenerateDataKey*': 'Artifacts and reports are encrypted with the artifacts key.',
    'Action::kms:ReEncrypt*': 'Artifacts and reports are encrypted with the artifacts key.',
    'Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/*':
      "Artifacts are written under the pipeline's prefix, one folder per build.",
    [`Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${id}>:*`]:
      "The project's own log group; one stream per build.",
    [`Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<${id}>-*`]:
      "The project's own report groups (tests, coverage).",
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
