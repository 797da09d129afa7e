import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { githubPushBody, signedDelivery } from '../../support/deliveries';

/** A secret whose every appearance outside Secrets Manager is a leak. */
const CANARY = 'CANARY-7f3a9c1e-do-not-log-me';

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const secretsManager = mockClient(SecretsManagerClient);

const context = {
  functionName: 'webhook-receiver',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:webhook-receiver',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
let handler: Handler;
let output: string[];

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'webhook-receiver',
    POWERTOOLS_METRICS_NAMESPACE: 'Gantry',
    DELIVERIES_TABLE_NAME: 'deliveries',
    AUDIT_TABLE_NAME: 'audit',
    EVENT_BUS_NAME: 'gantry',
    WEBHOOK_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
    WEBHOOK_CONNECTIONS: JSON.stringify([
      { name: 'gh', provider: 'github', secretId: 'gantry/connections/gh', repositories: ['acme/widgets'] },
      { name: 'gl', provider: 'gitlab', secretId: 'gantry/connections/gl', repositories: [] },
      { name: 'az', provider: 'azure-devops', secretId: 'gantry/connections/az', repositories: [] },
    ]),
  });
  ({ handler } = (await import('../../../functions/webhook-receiver/handler')) as unknown as { handler: Handler });
});

beforeEach(() => {
  for (const mock of [dynamo, eventBridge, sqs, secretsManager]) mock.reset();
  secretsManager
    .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
    .resolves({ SecretString: JSON.stringify({ webhookSecret: CANARY }) });
  secretsManager
    .on(GetSecretValueCommand, { SecretId: 'gantry/connections/az', VersionStage: 'AWSCURRENT' })
    .resolves({ SecretString: `gantry:${CANARY}` });
  secretsManager
    .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
    .rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
});

afterEach(() => jest.restoreAllMocks());

/** An API Gateway REST proxy event as the front door delivers it: body base64, headers as sent. */
function apiEvent(provider: string, headers: Record<string, string>, body: Buffer): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: `/webhooks/${provider}`,
    resource: '/webhooks/{provider}',
    pathParameters: { provider },
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    body: body.toString('base64'),
    isBase64Encoded: true,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

function signedEvent(provider = 'github', body = githubPushBody(), secret = CANARY): APIGatewayProxyEvent {
  const delivery = signedDelivery(body, { provider, secret });
  return apiEvent(provider, delivery.headers, body);
}

describe('webhook-receiver handler', () => {
  it('answers 202 and puts the normalized event on the gantry bus', async () => {
    const response = await handler(signedEvent(), context);

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({
      status: 'accepted',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      events: 1,
    });
    const [entry] = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({ EventBusName: 'gantry', Source: 'gantry.webhooks', DetailType: 'Source Push' });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ repository: { fullName: 'acme/widgets' }, kind: 'push' });
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'deliveries',
      Item: { pk: 'github#72d3162e-cc78-11e3-81ab-4c9367dc0958', state: 'received' },
    });
    const audited = dynamo.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(audited).toContainEqual(
      expect.objectContaining({
        TableName: 'audit',
        ConditionExpression: 'attribute_not_exists(seq)',
        Item: expect.objectContaining({ type: 'webhook.accepted', chain: 'acme/widgets', seq: 1 }),
      }),
    );
  });

  it('answers 200 for a redelivery without publishing', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    dynamo.on(GetCommand).resolves({ Item: { pk: 'x', state: 'published' } });

    const response = await handler(signedEvent(), context);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'duplicate' });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('answers 401 with a small JSON error for a bad signature', async () => {
    const response = await handler(signedEvent('github', githubPushBody(), 'wrong'), context);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'signature_invalid', message: 'the signature or token does not match' },
    });
  });

  it('answers 404 for a provider Gantry does not know', async () => {
    const response = await handler(apiEvent('svn', { 'content-type': 'application/json' }, Buffer.from('{}')), context);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.code).toBe('unknown_provider');
  });

  it('answers 503 with Retry-After when neither the bus nor the dead-letter queue takes the delivery', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('unavailable'));
    sqs.on(SendMessageCommand).rejects(new Error('unavailable'));
    const response = await handler(signedEvent(), context);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '30' });
  }, 15_000);

  it('never echoes or logs the connection secret, on any path', async () => {
    const gitlabBody = Buffer.from(
      JSON.stringify({
        object_kind: 'push',
        ref: 'refs/heads/main',
        before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
        after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        user_username: 'jsmith',
        project: { path_with_namespace: 'acme/widgets', git_http_url: 'https://gitlab.example.com/acme/widgets.git' },
        commits: [],
        total_commits_count: 0,
      }),
    );
    const responses = [
      await handler(signedEvent(), context),
      await handler(signedEvent('github', githubPushBody(), `${CANARY}x`), context),
      await handler(signedEvent('gitlab', gitlabBody), context),
      await handler(signedEvent('gitlab', gitlabBody, `${CANARY.slice(0, -1)}`), context),
      await handler(signedEvent('azure-devops', Buffer.from('{"eventType":"git.push"}'), `gantry:${CANARY}`), context),
    ];
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail' }] });
    responses.push(await handler(signedEvent('gitlab', gitlabBody), context));
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: `{"webhookSecret": ${CANARY}` });

    expect(responses.map((r) => r.statusCode)).toEqual([202, 401, 202, 401, 400, 202]);
    const leaks = [
      ...responses.map((r) => JSON.stringify(r)),
      ...output,
      ...sqs.commandCalls(SendMessageCommand).map((c) => JSON.stringify(c.args[0].input)),
      ...eventBridge.commandCalls(PutEventsCommand).map((c) => JSON.stringify(c.args[0].input)),
    ].filter((text) => text.includes(CANARY) || text.includes(Buffer.from(`gantry:${CANARY}`).toString('base64')));
    expect(output.filter((line) => line.includes('"level":"WARN"')).length).toBeGreaterThanOrEqual(3);
    expect(output.some((line) => line.includes('delivery accepted'))).toBe(true);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(leaks).toEqual([]);
  });
});
