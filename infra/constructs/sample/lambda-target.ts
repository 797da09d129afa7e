import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import {
  type ILambdaDeploymentConfig,
  type LambdaApplication,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
} from 'aws-cdk-lib/aws-codedeploy';
import {
  Alias,
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployTarget } from '../../../events';
import { PROJECT_ROOT } from '../../paths';
import type { GantryFunction } from '../gantry-function';
import type { TrafficHook } from './traffic-hook';

/** Template metadata key naming a deploy target's service folder; local mode runs its versions from there. */
export const SERVICE_METADATA_KEY = 'gantry:service';

/** The sample service every sample target runs. */
export const SAMPLE_SERVICE_DIR = 'examples/sample-service';

export interface SampleLambdaTargetProps {
  readonly target: DeployTarget;
  readonly application: LambdaApplication;
  /** Gantry's pre- and post-traffic hook: CodeDeploy invokes it, it calls the new version. */
  readonly hook: TrafficHook;
  /** p99 duration (ms) over which the latency alarm fires. @default 1000 */
  readonly latencyThresholdMs?: number;
  /** Error rate (%) over which the error-rate alarm fires. @default 5 */
  readonly errorRatePercent?: number;
}

/**
 * One Lambda release target running the sample service: the function and its alias, an
 * error-rate and a latency alarm on the alias, and a deployment group that rolls back on a
 * failed deployment, on a stop, and when an alarm fires.
 */
export class SampleLambdaTarget extends Construct {
  readonly function: LambdaFunction;
  readonly alias: Alias;
  readonly group: LambdaDeploymentGroup;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: SampleLambdaTargetProps) {
    super(scope, id);
    const { target } = props;
    if (target.lambda === null)
      throw new Error(`${target.application}/${target.deploymentGroup} is not a Lambda target`);
    const name = target.lambda.function;
    this.function = new LambdaFunction(this, 'Function', {
      functionName: name,
      description: `Gantry sample service (${target.deploymentGroup})`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: 'src/lambda.handler',
      code: Code.fromAsset(join(PROJECT_ROOT, SAMPLE_SERVICE_DIR), {
        exclude: ['node_modules', 'reports', 'dist', 'test', '.c8', 'demo-changes', 'scripts', '*.md', '*.yml'],
      }),
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      environment: { SERVICE_NAME: 'sample-service', DEPLOYMENT_GROUP: target.deploymentGroup },
      logGroup: new LogGroup(this, 'Logs', {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    (this.function.node.defaultChild as CfnFunction).addMetadata(SERVICE_METADATA_KEY, SAMPLE_SERVICE_DIR);
    this.alias = new Alias(this, 'Alias', { aliasName: target.lambda.alias, version: this.function.currentVersion });
    this.alarms = [
      this.errorRateAlarm(name, props.errorRatePercent ?? 5),
      this.latencyAlarm(name, props.latencyThresholdMs ?? 1000),
    ];
    this.group = new LambdaDeploymentGroup(this, 'Group', {
      application: props.application,
      deploymentGroupName: target.deploymentGroup,
      alias: this.alias,
      deploymentConfig: deploymentConfigOf(this, target),
      alarms: this.alarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    props.hook.grantHookOf(this.group, this.function);
    acknowledgeGrants(this, props.hook);
  }

  /** 5xx-style errors as a share of invocations, on the alias: what a canary must not raise. */
  private errorRateAlarm(name: string, percent: number): Alarm {
    return new Alarm(this, 'ErrorRate', {
      alarmName: `${name}-error-rate`,
      alarmDescription: `More than ${percent}% of ${name}'s invocations failed`,
      metric: new MathExpression({
        expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
        usingMetrics: {
          errors: this.alias.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
          invocations: this.alias.metricInvocations({ period: Duration.minutes(1), statistic: 'Sum' }),
        },
        period: Duration.minutes(1),
        label: 'error rate (%)',
      }),
      threshold: percent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private latencyAlarm(name: string, thresholdMs: number): Alarm {
    return new Alarm(this, 'Latency', {
      alarmName: `${name}-latency`,
      alarmDescription: `p99 duration of ${name} over ${thresholdMs} ms`,
      metric: this.alias.metricDuration({ period: Duration.minutes(1), statistic: 'p99' }),
      threshold: thresholdMs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** The managed policies and version wildcards of CDK's Lambda and CodeDeploy grants, each with why. */
function acknowledgeGrants(target: SampleLambdaTarget, hook: GantryFunction): void {
  const stack = Stack.of(target);
  const logicalId = (fn: LambdaFunction) => stack.getLogicalId(fn.node.defaultChild as CfnFunction);
  const acks: [Construct, string, string][] = [
    [
      target.function,
      'AwsSolutions-L1',
      'The sample service pins Node.js 22 (its engines field); Gantry’s own functions run the latest runtime.',
    ],
    [
      target.function,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The sample service only writes its own logs.',
    ],
    [
      target.function,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments does not support resource-level permissions.',
    ],
    [
      target.group,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      "CodeDeploy's own limited policy for Lambda deployments.",
    ],
    [
      target.group,
      `AwsSolutions-IAM5[Resource::<${logicalId(hook.function)}.Arn>:*]`,
      'CodeDeploy invokes the traffic hook, any version.',
    ],
    [
      hook.role,
      `AwsSolutions-IAM5[Resource::<${logicalId(target.function)}.Arn>:*]`,
      'The hook calls the version being released, whichever it is.',
    ],
  ];
  for (const [scope, id, reason] of acks) Validations.of(scope).acknowledge({ id, reason });
}

function deploymentConfigOf(scope: Construct, target: DeployTarget): ILambdaDeploymentConfig {
  return LambdaDeploymentConfig.fromLambdaDeploymentConfigName(scope, 'Config', target.deploymentConfig);
}
