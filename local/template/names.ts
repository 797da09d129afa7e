import { createHash } from 'node:crypto';
import type { CfnResource, LocalEnvironment } from './types';

/**
 * The physical identity of a resource in local mode: what `Ref` and `Fn::GetAtt` resolve to.
 * Explicit names in the template win; otherwise names are `<stack>-<logicalId>`, stable across
 * restarts so data in the data folder stays attached to the same resources.
 */
export interface PhysicalIdentity {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

type Namer = (name: string, env: LocalEnvironment, p: Readonly<Record<string, unknown>>) => PhysicalIdentity;

const arn = (env: LocalEnvironment, service: string, resource: string) =>
  `arn:aws:${service}:${env.region}:${env.accountId}:${resource}`;

const NAMERS: Readonly<Record<string, { readonly nameProperty?: string; readonly identity: Namer }>> = {
  'AWS::DynamoDB::Table': { nameProperty: 'TableName', identity: dynamoTable },
  'AWS::DynamoDB::GlobalTable': { nameProperty: 'TableName', identity: dynamoTable },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    identity: (name, env, p) => {
      const queue = p.FifoQueue === true && !name.endsWith('.fifo') ? `${name}.fifo` : name;
      const url = `${env.edgeEndpoint}/${env.accountId}/${queue}`;
      return { ref: url, attributes: { Arn: arn(env, 'sqs', queue), QueueName: queue, QueueUrl: url } };
    },
  },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    identity: (name, env) => ({ ref: name, attributes: { Name: name, Arn: arn(env, 'events', `event-bus/${name}`) } }),
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    identity: (name, env) => ({ ref: name, attributes: { Arn: arn(env, 'events', `rule/${name}`) } }),
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    identity: (name, env) => ({ ref: name, attributes: { Arn: arn(env, 'lambda', `function:${name}`) } }),
  },
  'AWS::SNS::Topic': {
    // CloudFormation's Ref of a topic is its ARN (what a grantPublish names).
    nameProperty: 'TopicName',
    identity: (name, env) => {
      const topicArn = arn(env, 'sns', name);
      return { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
    },
  },
  'AWS::Lambda::Version': {
    // Named by its function: each function's one Version resource is the asset, version 1.
    nameProperty: 'FunctionName',
    identity: (name, env) => {
      const fn = functionNameOf(name);
      return {
        ref: arn(env, 'lambda', `function:${fn}:1`),
        attributes: { Version: '1', FunctionArn: arn(env, 'lambda', `function:${fn}`) },
      };
    },
  },
  'AWS::Lambda::Alias': {
    nameProperty: 'FunctionName',
    identity: (name, env, p) => {
      const aliasArn = arn(env, 'lambda', `function:${functionNameOf(name)}:${String(p.Name)}`);
      return { ref: aliasArn, attributes: { AliasArn: aliasArn } };
    },
  },
  'AWS::CodeDeploy::Application': {
    nameProperty: 'ApplicationName',
    identity: (name) => ({ ref: name, attributes: {} }),
  },
  'AWS::CodeDeploy::DeploymentGroup': {
    nameProperty: 'DeploymentGroupName',
    identity: (name) => ({ ref: name, attributes: {} }),
  },
  'AWS::CodeDeploy::DeploymentConfig': {
    nameProperty: 'DeploymentConfigName',
    identity: (name) => ({ ref: name, attributes: {} }),
  },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    identity: (name, env) => ({ ref: name, attributes: { Arn: arn(env, 'cloudwatch', `alarm:${name}`) } }),
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    identity: (name, env) => {
      const a = arn(env, 'states', `stateMachine:${name}`);
      return { ref: a, attributes: { Arn: a, Name: name } };
    },
  },
  'AWS::SecretsManager::Secret': {
    nameProperty: 'Name',
    identity: (name, env) => {
      const a = arn(env, 'secretsmanager', `secret:${name}-${suffix(name)}`);
      return { ref: a, attributes: { Id: a } };
    },
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    identity: (name, env) => ({
      ref: name,
      attributes: { Arn: `arn:aws:iam::${env.accountId}:role/${name}`, RoleId: suffix(name) },
    }),
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    identity: (name, env) => ({ ref: name, attributes: { Arn: arn(env, 'logs', `log-group:${name}:*`) } }),
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    identity: (name) => {
      const bucket = name
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-')
        .slice(0, 63);
      return {
        ref: bucket,
        attributes: {
          Arn: `arn:aws:s3:::${bucket}`,
          DomainName: `${bucket}.s3.amazonaws.com`,
          RegionalDomainName: `${bucket}.s3.amazonaws.com`,
        },
      };
    },
  },
  'AWS::KMS::Key': {
    identity: (name, env) => ({
      ref: suffix(name, 32),
      attributes: { Arn: arn(env, 'kms', `key/${suffix(name, 32)}`), KeyId: suffix(name, 32) },
    }),
  },
  'AWS::CodeBuild::Project': {
    nameProperty: 'Name',
    identity: (name, env) => ({ ref: name, attributes: { Arn: arn(env, 'codebuild', `project/${name}`) } }),
  },
  'AWS::CodeBuild::ReportGroup': {
    nameProperty: 'Name',
    identity: (name, env) => {
      const a = arn(env, 'codebuild', `report-group/${name}`);
      return { ref: a, attributes: { Arn: a, Name: name } };
    },
  },
  'AWS::ApiGateway::RestApi': {
    identity: (name) => ({ ref: suffix(name, 10), attributes: { RootResourceId: `${suffix(name, 10)}-root` } }),
  },
  'AWS::ApiGateway::Stage': { nameProperty: 'StageName', identity: (name) => ({ ref: name, attributes: {} }) },
};

/** The local identity of one resource. */
export function physicalIdentity(
  stackName: string,
  logicalId: string,
  resource: CfnResource,
  env: LocalEnvironment,
  explicitName?: string,
): PhysicalIdentity {
  const namer = NAMERS[resource.Type];
  const name = explicitName ?? `${stackName}-${logicalId}`;
  if (namer) return namer.identity(name, env, resource.Properties ?? {});
  const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
  return { ref: name, attributes: { Arn: arn(env, service, name) } };
}

/** The property holding a resource type's explicit name, if it has one. */
export function nameProperty(type: string): string | undefined {
  return NAMERS[type]?.nameProperty;
}

function dynamoTable(name: string, env: LocalEnvironment): PhysicalIdentity {
  const tableArn = arn(env, 'dynamodb', `table/${name}`);
  return { ref: name, attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/local` } };
}

/** A function's name from its name or ARN (a Version or Alias names its function either way). */
function functionNameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? nameOrArn) : nameOrArn;
}

/** A short, stable, name-derived suffix (where AWS would add random characters). */
function suffix(name: string, length = 6): string {
  return createHash('sha256').update(name).digest('hex').slice(0, length);
}
