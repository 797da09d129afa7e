import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { synthGantry } from '../support/cdk';
import { statementsByFunction } from '../support/iam-invariants';

const gantry = synthGantry();
const { control$: control, data$: data } = gantry;

function receiverEnv(): Record<string, unknown> {
  const fns = control.findResources('AWS::Lambda::Function', { Metadata: { 'gantry:function': 'webhook-receiver' } });
  const [fn] = Object.values(fns) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
  if (fn === undefined) throw new Error('no webhook-receiver function');
  return fn.Properties.Environment.Variables;
}

describe('WebhookIngress', () => {
  it('exposes POST /webhooks/{provider} on a regional REST API that passes bodies through as bytes', () => {
    control.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      BinaryMediaTypes: ['*/*'],
    });
    control.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{provider}' });
    control.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      RequestParameters: { 'method.request.path.provider': true },
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
  });

  it('throttles the stage, writes access logs, traces, and never logs bodies', () => {
    control.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"status"') },
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it('runs the receiver on the latest Node.js runtime for ARM64 with X-Ray and Powertools settings', () => {
    control.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'webhook-receiver',
          POWERTOOLS_METRICS_NAMESPACE: 'Gantry',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      },
    });
  });

  it('tells the receiver which connection verifies which repository, by secret name, never by value', () => {
    const env = receiverEnv();
    expect(JSON.parse(String(env.WEBHOOK_CONNECTIONS))).toEqual([
      {
        name: 'github-acme',
        provider: 'github',
        secretId: 'gantry/connections/github-acme',
        repositories: ['acme/widgets', 'acme/gadgets'],
      },
      { name: 'gitlab-internal', provider: 'gitlab', secretId: 'custom/gitlab-secret', repositories: [] },
    ]);
    expect(env).toMatchObject({
      WEBHOOK_MAX_BODY_BYTES: String(512 * 1024),
      EVENT_BUS_NAME: { Ref: expect.stringMatching(/^Bus/) },
    });
  });

  it('keeps undeliverable deliveries in an encrypted, TLS-only dead-letter queue for 14 days', () => {
    control.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    control.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('creates the custom "gantry" event bus', () => {
    control.hasResourceProperties('AWS::Events::EventBus', { Name: 'gantry' });
  });

  it('grants the receiver exactly what it calls, on its own resources', () => {
    const policies = control.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('WebhookIngressReceiverRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
    expect(actions).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        // The audit ledger: append (head query + conditional put), through the table's key.
        'dynamodb:PutItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:GetSecretValue',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard.flatMap((s) => s.Action)).toEqual(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    // The webhook secrets only: the receiver parses what the internet sends, and never holds a provider token.
    const secrets = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(JSON.stringify(secrets.map((s) => s.Resource))).toMatch(
      /ConnectionsgithubacmeImport|Connectionsgithubacme[0-9A-F]{8}/,
    );
    expect(JSON.stringify(secrets.map((s) => s.Resource))).not.toMatch(/Token/);
  });
});

describe('GantryData', () => {
  it('keeps deliveries in an on-demand table keyed by pk, expiring through expiresAt, with PITR', () => {
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('holds one generated webhook secret and one API token secret per connection, kept when the stack is deleted', () => {
    data.resourceCountIs('AWS::SecretsManager::Secret', 4);
    // The token's own secret holds no token as deployed: an operator puts it, and nothing in the template.
    for (const name of ['gantry/connections/github-acme/api-token', 'custom/gitlab-secret/api-token'])
      data.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: { Name: name, SecretString: '{}' },
      });
    data.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        Name: 'gantry/connections/github-acme',
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'webhookSecret' }),
      },
    });
    data.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'custom/gitlab-secret' });
  });
});

/** A delivery's or its signed content's items: never the notifier's `notify#…` nor the used proofs `proof#…`. */
const deliveryKeysOnly = {
  'ForAllValues:StringLike': {
    'dynamodb:LeadingKeys': [
      'github#*',
      'gitlab#*',
      'bitbucket-cloud#*',
      'bitbucket-dc#*',
      'gitea#*',
      'forgejo#*',
      'azure-devops#*',
      'content#*',
    ],
  },
};

describe('grants on the deliveries table', () => {
  it('lets the receiver keep its dedupe items, ResolvePlan read them, the operator API its proof# items, and no other function touch the table', () => {
    const onDeliveries = [...statementsByFunction(gantry, FUNCTION_METADATA_KEY)].flatMap(([name, statements]) =>
      statements
        .filter((s) => JSON.stringify(s.resources).includes(':table/gantry-deliveries'))
        .map((s) => [name, [...s.actions].sort(), s.condition]),
    );
    expect(onDeliveries.sort()).toEqual([
      [
        'operator-api',
        ['dynamodb:GetItem', 'dynamodb:PutItem'],
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['proof#*'] } },
      ],
      ['resolve-plan', ['dynamodb:GetItem'], deliveryKeysOnly],
      [
        'webhook-receiver',
        ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        deliveryKeysOnly,
      ],
    ]);
  });
});
