import { Arn, ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  EcsDeploymentConfig,
  LambdaDeploymentConfig,
  TimeBasedCanaryTrafficRouting,
  TimeBasedLinearTrafficRouting,
  type TrafficRouting,
} from 'aws-cdk-lib/aws-codedeploy';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CODEDEPLOY_STATE_CHANGE, DEPLOYMENT_END_STATES, type DeployTarget, PIPELINE_EVENT_SOURCE } from '../../events';
import { buildArtifactsPath } from '../../shared/pipelines/artifact-layout';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import { Artifacts } from './artifacts';
import { type AuditWriting, grantAuditAppend } from './audit-checkpoints';
import { grantPutEventsFrom } from './bus-grants';
import type { TargetAccounts } from './cross-account';
import { GantryFunction } from './gantry-function';
import { RUNS_TABLE_NAME } from './names';
import { pipelineArns } from './pipeline/names';
import { RunsTable } from './runs-table';

/** One environment's release target, with where it comes from. */
export interface NamedTarget {
  readonly pipeline: string;
  readonly environment: string;
  readonly target: DeployTarget;
  /** Its releases wait for approval, so its runs build in the pipeline's `gated` project. */
  readonly gated: boolean;
}

export interface DeploymentsProps {
  readonly targets: readonly NamedTarget[];
  readonly eventBusName: string;
  /** Where state-change events that could not be delivered go. */
  readonly deadLetters: IQueue;
  /** The accounts targets outside the control plane's live in. @default none */
  readonly accounts?: TargetAccounts;
  /** The audit ledger: every function this construct creates appends to it. */
  readonly audit: AuditWriting;
  /** The bus run events are published on for notifications (a rolled-back deployment). @default not published */
  readonly runEvents?: IEventBus;
}

/**
 * What drives CodeDeploy from the control plane: Gantry's custom traffic-shifting configurations,
 * and the deployment events function with the rule that resumes a parked run when its deployment
 * ends. The Deploy steps themselves belong to the pipeline steps, granted by {@link grantReleaseSteps}.
 */
export class Deployments extends Construct {
  readonly events: GantryFunction;
  /** The rule on the default bus; absent when every target is in another account. */
  readonly rule?: Rule;

  constructor(scope: Construct, id: string, props: DeploymentsProps) {
    super(scope, id);
    // A target in another account has its configurations, and its grants, in that account's stack.
    const home = homeTargets(props.targets);
    for (const { pipeline, environment, target } of home) customConfig(this, pipeline, environment, target);
    this.events = new GantryFunction(this, 'Events', {
      name: 'deploy-events',
      description: 'Resumes the run whose CodeDeploy deployment ended (success, failure, stop)',
      environment: { [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME, [PIPELINE_ENV.eventBus]: props.eventBusName },
      timeout: Duration.seconds(30),
    });
    // EventBridge's retries and dead-letter queue cover reaching the function only; once it has the
    // event, Lambda tries twice more and then sends it here, where `gantry dlq redrive` finds it,
    // rather than dropping the only trace of, say, a deployment no run started.
    this.events.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(props.deadLetters),
    });
    if (home.length > 0) {
      this.rule = new Rule(this, 'StateChanges', {
        description: 'CodeDeploy deployments of Gantry targets that ended',
        eventPattern: {
          source: ['aws.codedeploy'],
          detailType: [CODEDEPLOY_STATE_CHANGE],
          detail: {
            state: [...DEPLOYMENT_END_STATES],
            application: [...new Set(home.map((t) => t.target.application))],
          },
        },
      });
      this.rule.addTarget(
        new LambdaFunction(this.events.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: props.deadLetters,
        }),
      );
    }
    this.grantEvents(home);
    props.accounts?.grantAssumeTargetRoles(this.events, 'deploy-events');
    grantAuditAppend(this.events, props.audit);
    if (props.runEvents) grantPutEventsFrom(props.runEvents, this.events.function, PIPELINE_EVENT_SOURCE);
  }

  /** Resumes the run's Deploy task and reads the deployment that ended. */
  private grantEvents(home: readonly NamedTarget[]): void {
    const fn = this.events;
    RunsTable.grantWrites(fn.function, ['deployment', 'stages']);
    grantResumeDeploy(fn);
    if (home.length > 0) fn.function.addToRolePolicy(readDeployments(this, home));
  }
}

/** The targets in the control plane's own account (the others are granted through their deploy role). */
export function homeTargets(targets: readonly NamedTarget[]): NamedTarget[] {
  return targets.filter((t) => t.target.account === null);
}

/** What Deploy (`release`) and DeployCheck (`verify`) need to release `targets`. */
export interface ReleaseGrants {
  readonly targets: readonly NamedTarget[];
  readonly artifactsKey: IKey;
  /** The key that signs build provenance: Deploy verifies with it before any traffic moves. */
  readonly provenanceKey: IKey;
}

/**
 * Grants the Deploy step (publishes versions, creates deployments) and DeployCheck (reconciles,
 * bakes on alarms) what releasing takes: in the control plane itself wherever the targets are,
 * and CodeDeploy, Lambda and CloudWatch calls scoped to the groups and functions of the targets
 * in its own account. Called by the construct that creates both functions.
 */
export function grantReleaseSteps(release: GantryFunction, verify: GantryFunction, props: ReleaseGrants): void {
  RunsTable.grantWrites(release.function, ['deployment', 'stages']);
  // Only DeployCheck records that the bake passed, which ReportSuccess requires.
  RunsTable.grantWrites(verify.function, ['deployment', 'stages', 'bake']);
  // Deploy lists the lane's runs to find the release it replaces.
  RunsTable.grant(release.function, ['dynamodb:Query']);
  grantResumeDeploy(release);
  // Release artifacts and their provenance only, by pinned version; never what untrusted builds wrote.
  Artifacts.grantReadObjects(release.function, [buildArtifactsPath('*', 'trusted'), 'provenance/*'], {
    versions: true,
  });
  props.artifactsKey.grantDecrypt(release.function);
  props.provenanceKey.grant(release.function, 'kms:Verify');
  acknowledgeRelease(release);
  const home = homeTargets(props.targets);
  if (home.length > 0) grantHomeReleases(release, verify, home);
}

/**
 * Lets a step stop the deployment of a run: ResolvePlan, of a run it supersedes; RecordFailure,
 * of one whose Deploy task someone else failed while it ran (CodeDeploy rolls the traffic back).
 */
export function grantStopDeployments(fn: GantryFunction, targets: readonly NamedTarget[]): void {
  const home = homeTargets(targets);
  if (home.length === 0) return;
  const arns = targetArns(
    fn,
    home.map((t) => t.target),
  );
  fn.function.addToRolePolicy(new PolicyStatement({ actions: ['codedeploy:StopDeployment'], resources: arns.groups }));
}

/** Answers the Deploy task a release parked (any pipeline's state machine). */
function grantResumeDeploy(fn: GantryFunction): void {
  fn.function.addToRolePolicy(
    new PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: [pipelineArns(fn).stateMachines],
    }),
  );
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
    reason:
      'A deployment resumes the Deploy task of any pipeline; all pipeline state machines are named gantry-pipeline-*.',
  });
}

function readDeployments(scope: Construct, home: readonly NamedTarget[]): PolicyStatement {
  return new PolicyStatement({
    actions: ['codedeploy:GetDeployment', 'codedeploy:GetDeploymentGroup'],
    resources: targetArns(
      scope,
      home.map((t) => t.target),
    ).groups,
  });
}

/** Calls to CodeDeploy, Lambda and CloudWatch in the control plane's account, for its own targets. */
function grantHomeReleases(release: GantryFunction, verify: GantryFunction, home: readonly NamedTarget[]): void {
  const arns = targetArns(
    release,
    home.map((t) => t.target),
  );
  for (const fn of [release, verify]) {
    fn.function.addToRolePolicy(readDeployments(fn, home));
    fn.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['codedeploy:CreateDeployment', 'codedeploy:StopDeployment'],
        resources: arns.groups,
      }),
    );
    fn.function.addToRolePolicy(
      new PolicyStatement({
        actions: [...REVISION_ACTIONS],
        resources: arns.applications,
      }),
    );
    fn.function.addToRolePolicy(
      new PolicyStatement({ actions: ['codedeploy:GetDeploymentConfig'], resources: [arns.configs] }),
    );
  }
  // A Deploy step retried after CreateDeployment finds the deployment its run created, and a
  // bake check the rollback it asked for.
  for (const fn of [release, verify])
    fn.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments'],
        resources: arns.groups,
      }),
    );
  if (arns.functions.length > 0) {
    release.function.addToRolePolicy(
      new PolicyStatement({
        actions: [...LAMBDA_RELEASE_ACTIONS],
        resources: arns.functions,
      }),
    );
  }
  verify.function.addToRolePolicy(
    new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [arns.alarms] }),
  );
  acknowledge(release, verify);
}

/** What releasing a Lambda target takes on its function: the new code, a version, the alias's shift. */
export const LAMBDA_RELEASE_ACTIONS = [
  'lambda:UpdateFunctionCode',
  'lambda:PublishVersion',
  'lambda:GetAlias',
  'lambda:GetFunction',
  'lambda:GetFunctionConfiguration',
] as const;

/** What releasing takes on a CodeDeploy application: registering the revision and reading it back. */
export const REVISION_ACTIONS = [
  'codedeploy:GetApplicationRevision',
  'codedeploy:RegisterApplicationRevision',
] as const;

/** A custom shift gets its own CodeDeploy configuration, named `gantry-<pipeline>-<environment>`. */
export function customConfig(scope: Construct, pipeline: string, environment: string, target: DeployTarget): void {
  if (target.deploymentConfig.startsWith('CodeDeployDefault.')) return;
  const interval = Duration.minutes(target.shift.minutes);
  const routing: TrafficRouting =
    target.shift.type === 'TimeBasedLinear'
      ? new TimeBasedLinearTrafficRouting({ interval, percentage: target.shift.percent })
      : new TimeBasedCanaryTrafficRouting({ interval, percentage: target.shift.percent });
  const id = `Config-${pipeline}-${environment}`;
  const props = { deploymentConfigName: target.deploymentConfig, trafficRouting: routing };
  if (target.kind === 'lambda') new LambdaDeploymentConfig(scope, id, props);
  else new EcsDeploymentConfig(scope, id, props);
}

/** ARNs of the deployment groups, applications and functions the config names. */
export function targetArns(scope: Construct, targets: readonly DeployTarget[]) {
  const stack = Stack.of(scope);
  const arn = (service: string, resource: string, resourceName: string) =>
    Arn.format({ service, resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack);
  const unique = (list: string[]) => [...new Set(list)];
  return {
    groups: unique(targets.map((t) => arn('codedeploy', 'deploymentgroup', `${t.application}/${t.deploymentGroup}`))),
    applications: unique(targets.map((t) => arn('codedeploy', 'application', t.application))),
    configs: arn('codedeploy', 'deploymentconfig', '*'),
    functions: unique(targets.flatMap((t) => (t.lambda ? [arn('lambda', 'function', t.lambda.function)] : []))),
    alarms: arn('cloudwatch', 'alarm', '*'),
  };
}

function acknowledge(release: GantryFunction, verify: GantryFunction): void {
  const config = 'Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentconfig:*';
  for (const fn of [release, verify]) {
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[${config}]`,
      reason:
        'CreateDeployment reads the named deployment configuration, predefined (CodeDeployDefault.*) or Gantry’s own.',
    });
  }
  Validations.of(verify.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
    reason:
      "The bake check reads the alarms the deployment group names; those are the group's, not known at synthesis.",
  });
}

function acknowledgeRelease(release: GantryFunction): void {
  Validations.of(release.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/releases/*]',
    reason:
      "Publishes the verified package of any pipeline's release build, read at the version its provenance pins (keys are per pipeline and build).",
  });
  Validations.of(release.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::gantry-artifacts-<AWS::AccountId>-<AWS::Region>/provenance/*]',
    reason: 'Reads the provenance envelope pinned on the run (one per pipeline and build) to verify it.',
  });
}
