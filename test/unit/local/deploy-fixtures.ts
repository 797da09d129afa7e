import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestMetrics } from '../../../local/cloudwatch/metrics';
import { zip } from '../../../local/codebuild/zip';
import { LocalServices, type LocalServicesOptions } from '../../../local/lambda-api/services';
import { inventoryOf } from '../../../local/template/inventory';
import { TemplateResolver } from '../../../local/template/resolver';
import type { StackTemplate } from '../../../local/template/types';

export const FUNCTION_NAME = 'gantry-svc-dev';
export const APPLICATION = 'gantry-svc';
export const GROUP = 'dev';
export const ERROR_RATE_ALARM = `${FUNCTION_NAME}-error-rate`;
export const LATENCY_ALARM = `${FUNCTION_NAME}-latency`;

const dimensions = [
  { Name: 'FunctionName', Value: { Ref: 'Fn' } },
  { Name: 'Resource', Value: { 'Fn::Join': [':', [{ Ref: 'Fn' }, 'live']] } },
];

const lambdaMetric = (id: string, name: string) => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'AWS/Lambda', MetricName: name, Dimensions: dimensions },
    Period: 60,
    Stat: 'Sum',
  },
  ReturnData: false,
});

/**
 * A stack shaped like the sample service's: a `gantry:service` function with a version and a
 * `live` alias, a CodeDeploy application and group (canary, both alarms, auto-rollback), a custom
 * linear configuration, and the error-rate (metric math) and p99 latency alarms.
 */
export function serviceStack(
  serviceFolder: string,
  deploymentConfigName = 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
): StackTemplate {
  return {
    stackName: 'GantrySampleService',
    template: {
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            FunctionName: FUNCTION_NAME,
            Handler: 'src/lambda.handler',
            Runtime: 'nodejs20.x',
            Timeout: 5,
            MemorySize: 256,
            Environment: { Variables: { GREETING: 'hello', STAGE: { 'Fn::Join': ['-', ['local', 'dev']] } } },
            Code: { S3Bucket: 'assets', S3Key: 'asset.zip' },
          },
          Metadata: { 'gantry:service': serviceFolder },
        },
        Version: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } } },
        Alias: {
          Type: 'AWS::Lambda::Alias',
          Properties: {
            FunctionName: { Ref: 'Fn' },
            FunctionVersion: { 'Fn::GetAtt': ['Version', 'Version'] },
            Name: 'live',
          },
        },
        App: {
          Type: 'AWS::CodeDeploy::Application',
          Properties: { ApplicationName: APPLICATION, ComputePlatform: 'Lambda' },
        },
        Linear: {
          Type: 'AWS::CodeDeploy::DeploymentConfig',
          Properties: {
            DeploymentConfigName: 'gantry-linear-25',
            ComputePlatform: 'Lambda',
            TrafficRoutingConfig: {
              Type: 'TimeBasedLinear',
              TimeBasedLinear: { LinearPercentage: 25, LinearInterval: 1 },
            },
          },
        },
        Group: {
          Type: 'AWS::CodeDeploy::DeploymentGroup',
          Properties: {
            ApplicationName: { Ref: 'App' },
            DeploymentGroupName: GROUP,
            DeploymentConfigName: deploymentConfigName,
            ServiceRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
            AlarmConfiguration: {
              Enabled: true,
              Alarms: [{ Name: { Ref: 'ErrorRate' } }, { Name: { Ref: 'Latency' } }],
            },
            AutoRollbackConfiguration: {
              Enabled: true,
              Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
            },
            DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
          },
        },
        ErrorRate: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: ERROR_RATE_ALARM,
            ComparisonOperator: 'GreaterThanThreshold',
            Threshold: 5,
            EvaluationPeriods: 1,
            TreatMissingData: 'notBreaching',
            Metrics: [
              lambdaMetric('errors', 'Errors'),
              lambdaMetric('invocations', 'Invocations'),
              { Id: 'rate', Expression: '100 * errors / MAX([errors, invocations])', ReturnData: true },
            ],
          },
        },
        Latency: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: LATENCY_ALARM,
            Namespace: 'AWS/Lambda',
            MetricName: 'Duration',
            Dimensions: dimensions,
            ExtendedStatistic: 'p99',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 1000,
            ComparisonOperator: 'GreaterThanThreshold',
          },
        },
      },
    },
  };
}

/** A service release: `/health` answers 200; `/hello` answers `status` and says which release and version answered. */
export function serviceSource(release: string, status = 200): string {
  return `export async function handler(event) {
  if (event.rawPath === '/health') return { statusCode: 200, body: '{"status":"ok"}' };
  if (event.rawPath === '/hello') {
    const body = { release: ${JSON.stringify(release)}, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, color: process.env.DEPLOYMENT_COLOR, greeting: process.env.GREETING };
    return { statusCode: ${status}, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }
  return { statusCode: 404, body: JSON.stringify({ path: event.rawPath, method: event.requestContext.http.method }) };
}
`;
}

/** Writes release `v1` of the service into `dir` (the asset folder, version 1). */
export function writeServiceFolder(dir: string): string {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'lambda.mjs'), serviceSource('v1'));
  return dir;
}

/** A deployment package of a release, as the build's `dist/function.zip` would be. */
export function servicePackage(release: string, status = 200): Buffer {
  return zip([{ name: 'src/lambda.mjs', data: Buffer.from(serviceSource(release, status)) }]);
}

/** A Lambda AppSpec moving `live` from one version to another, with the hooks given. */
export function appSpec(current: string, target: string, hooks: Record<string, string> = {}): string {
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        service: {
          Type: 'AWS::Lambda::Function',
          Properties: { Name: FUNCTION_NAME, Alias: 'live', CurrentVersion: current, TargetVersion: target },
        },
      },
    ],
    Hooks: Object.entries(hooks).map(([event, fn]) => ({ [event]: fn })),
  });
}

/** The sample service's functions as local mode reads them from the stack's template at `serviceDir`. */
export function serviceFunctions(serviceDir: string, region = 'eu-west-1', accountId = '000000000000') {
  return inventoryOf(new TemplateResolver([serviceStack(serviceDir)], { region, accountId, edgeEndpoint: '' }))
    .services;
}

/**
 * Local mode's Lambda service running `functions` (a process per version, on free ports), its data
 * under `dataDir`, each process given the role keys a test names unless it says otherwise.
 */
export function startServices(
  functions: LocalServicesOptions['services'],
  dataDir: string,
  options: Partial<Pick<LocalServicesOptions, 'runtimeEnvironment' | 'credentialsFor'>> = {},
): Promise<LocalServices> {
  return LocalServices.start({
    services: functions,
    dataDir,
    host: '127.0.0.1',
    basePort: 0,
    runtimeEnvironment: options.runtimeEnvironment ?? { PATH: process.env.PATH ?? '' },
    credentialsFor:
      options.credentialsFor ?? (() => ({ accessKeyId: 'AKIDSERVICEROLE', secretAccessKey: 'role-secret' })),
    metrics: new RequestMetrics(),
    log: () => undefined,
  });
}
