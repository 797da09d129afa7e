import { Arn, ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  EcsDeploymentConfig,
  LambdaDeploymentConfig,
  TimeBasedCanaryTrafficRouting,
  TimeBasedLinearTrafficRouting,
  type TrafficRouting,
} from 'aws-cdk-lib/aws-codedeploy';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CODEDEPLOY_STATE_CHANGE, DEPLOYMENT_END_STATES, type DeployTarget } from '../../events';
import { buildArtifactsPath } from '../../shared/pipelines/artifact-layout';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import { GantryFunction } from './gantry-function';
import { artifactsBucketArn, RUNS_TABLE_NAME } from './names';
import { pipelineArns } from './pipeline/names';
import { RunsTable } from './runs-table';

/** One environment's release target, with where it comes from. */
export interface NamedTarget {
  readonly pipeline: string;
  readonly environment: string;
  readonly target: DeployTarget;
}

export interface DeploymentsProps {
  readonly targets: readonly NamedTarget[];
  /** Deploy (publishes versions, creates deployments) and DeployCheck (reconcile, bake alarms). */
  readonly release: GantryFunction;
  readonly verify: GantryFunction;
  /** ResolvePlan, which stops the deployment of a run it supersedes. */
  readonly supersede: GantryFunction;
  /** RecordFailure, which stops a deployment a Deploy task failed by hand would leave running. */
  readonly recordFailure: GantryFunction;
  readonly artifactsKey: IKey;
  /** The key that signs build provenance: Deploy verifies with it before any traffic moves. */
  readonly provenanceKey: IKey;
  readonly eventBusName: string;
  /** Where state-change events that could not be delivered go. */
  readonly deadLetters: IQueue;
}

/**
 * What drives CodeDeploy: Gantry's custom traffic-shifting configurations, the rule that resumes
 * a parked run when its deployment ends, and grants scoped to the deployment groups and
 * functions the config names.
 */
export class Deployments extends Construct {
  readonly events: GantryFunction;
  /** The rule on the default bus; absent when every target is in another account. */
  readonly rule?: Rule;

  constructor(scope: Construct, id: string, props: DeploymentsProps) {
    super(scope, id);
    // A target in another account has its configurations, and its grants, in that account's stack.
    const home = props.targets.filter((t) => t.target.account === null);
    for (const { pipeline, environment, target } of home) customConfig(this, pipeline, environment, target);
    this.events = new GantryFunction(this, 'Events', {
      name: 'deploy-events',
      description: 'Resumes the run whose CodeDeploy deployment ended (success, failure, stop)',
      environment: { [PIPELINE_ENV.runsTable]: RUNS_TABLE_NAME, [PIPELINE_ENV.eventBus]: props.eventBusName },
      timeout: Duration.seconds(30),
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
    for (const fn of [props.release, props.verify, this.events]) RunsTable.grantUpdateRuns(fn.function);
    this.grantSteps(props);
    if (home.length > 0) this.grant(props, home);
  }

  /** What the steps do in the control plane itself, wherever their targets are. */
  private grantSteps(props: DeploymentsProps): void {
    const { release } = props;
    for (const fn of [release, this.events]) {
      fn.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [pipelineArns(this).stateMachines],
        }),
      );
    }
    const bucket = artifactsBucketArn();
    // Release artifacts and their provenance only, by pinned version; never what untrusted builds wrote.
    release.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [`${bucket}/${buildArtifactsPath('*', 'trusted')}`, `${bucket}/provenance/*`],
      }),
    );
    props.artifactsKey.grantDecrypt(release.function);
    props.provenanceKey.grant(release.function, 'kms:Verify');
    acknowledgeSteps(release, this.events);
  }

  /** Calls to CodeDeploy, Lambda and CloudWatch in the control plane's account, for its own targets. */
  private grant(props: DeploymentsProps, home: readonly NamedTarget[]): void {
    const arns = targetArns(
      this,
      home.map((t) => t.target),
    );
    const { release, verify } = props;
    const all = [release, verify, this.events];
    const read = new PolicyStatement({
      actions: ['codedeploy:GetDeployment', 'codedeploy:GetDeploymentGroup'],
      resources: arns.groups,
    });
    for (const fn of all) fn.function.addToRolePolicy(read);
    // ResolvePlan stops the deployment of a run it supersedes, and RecordFailure one whose Deploy
    // task someone else failed while it ran (CodeDeploy rolls the traffic back).
    for (const stopper of [props.supersede, props.recordFailure])
      stopper.function.addToRolePolicy(
        new PolicyStatement({ actions: ['codedeploy:StopDeployment'], resources: arns.groups }),
      );
    for (const fn of [release, verify]) {
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
    // A Deploy step retried after CreateDeployment finds the deployment its run created.
    release.function.addToRolePolicy(
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

function acknowledgeSteps(release: GantryFunction, events: GantryFunction): void {
  for (const fn of [release, events]) {
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:gantry-pipeline-*]',
      reason:
        'A deployment resumes the Deploy task of any pipeline; all pipeline state machines are named gantry-pipeline-*.',
    });
  }
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
