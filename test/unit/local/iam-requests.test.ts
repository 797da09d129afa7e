import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { type ArnLookups, accessOf, writtenAttributes } from '../../../local/iam/requests';

const ARNS: ArnLookups = {
  region: 'us-east-1',
  accountId: '000000000000',
  secretArn: (id) => id,
  keyArn: (id) => id,
  stateMachineArns: () => [],
  deploymentGroupArns: () => [],
  partitionKeyOf: (table, index) => (index === 'byRun' ? 'runId' : table === 'runs' ? 'pk' : undefined),
};
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:oncall';

/** A query-protocol form POST to `/`, signed for `service` as the SDK signs it. */
async function formPost(service: string, form: Record<string, string>) {
  const body = new URLSearchParams(form).toString();
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    region: 'us-east-1',
    service,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: '/',
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { method: 'POST', url: new URL('http://127.0.0.1:4566/'), headers: signed.headers, body: Buffer.from(body) };
}

describe('accessOf for query-protocol calls', () => {
  it('asks for sns:Publish on the topic for an SNS Publish (not for S3 ListAllMyBuckets)', async () => {
    const call = await formPost('sns', { Action: 'Publish', TopicArn: TOPIC, Message: 'hi' });
    expect(accessOf(call, ARNS)).toEqual([{ action: 'sns:Publish', resources: [TOPIC] }]);
  });

  it('asks nothing of IAM for STS: AssumeRole is decided against the role trust policy where it is served', async () => {
    const call = await formPost('sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::222222222222:role/x' });
    expect(accessOf(call, ARNS)).toEqual([]);
  });

  it('asks for what the service the edge routed the call to does, whatever scope the signature names', async () => {
    const signedForSns = await formPost('sns', { Action: 'Publish', TopicArn: TOPIC });
    const asS3 = { ...signedForSns, method: 'PUT', url: new URL('http://127.0.0.1:4566/bucket/key'), service: 's3' };
    expect(accessOf(asS3, ARNS)).toEqual([{ action: 's3:PutObject', resources: ['arn:aws:s3:::bucket/key'] }]);
  });

  it('reads Lambda ListFunctions as lambda:ListFunctions, not as an S3 object of that path', () => {
    const call = {
      method: 'GET',
      url: new URL('http://127.0.0.1:4566/2015-03-31/functions'),
      headers: {},
      body: undefined,
    };
    expect(accessOf({ ...call, service: 'lambda' }, ARNS)).toEqual([
      { action: 'lambda:ListFunctions', resources: ['*'] },
    ]);
  });

  it('still reads an unsigned GET of / as S3 ListBuckets', () => {
    const call = { method: 'GET', url: new URL('http://127.0.0.1:4566/'), headers: {}, body: undefined };
    expect(accessOf(call, ARNS)).toEqual([{ action: 's3:ListAllMyBuckets', resources: ['*'] }]);
  });
});

describe('accessOf for DynamoDB: dynamodb:LeadingKeys', () => {
  const call = (operation: string, input: object) => ({
    method: 'POST',
    url: new URL('http://127.0.0.1:4566/'),
    headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body: Buffer.from(JSON.stringify(input)),
  });
  const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/runs';
  const leading = (operation: string, input: object) =>
    accessOf(call(operation, { TableName: 'runs', ...input }), ARNS).map((a) => a.context?.['dynamodb:LeadingKeys']);

  it('names the partition key value of an item operation', () => {
    expect(accessOf(call('GetItem', { TableName: 'runs', Key: { pk: { S: 'run#1' }, sk: { S: 'x' } } }), ARNS)).toEqual(
      [{ action: 'dynamodb:GetItem', resources: [table], context: { 'dynamodb:LeadingKeys': ['run#1'] } }],
    );
    expect(leading('PutItem', { Item: { pk: { S: 'run#2' }, n: { N: '1' } } })).toEqual([['run#2']]);
    expect(leading('DeleteItem', { Key: { pk: { N: '7' } } })).toEqual([['7']]);
  });

  it('names the partition key a Query asks for, by expression (either side, through names) or legacy condition', () => {
    expect(
      leading('Query', {
        KeyConditionExpression: '#p = :v AND begins_with(sk, :s)',
        ExpressionAttributeNames: { '#p': 'pk' },
        ExpressionAttributeValues: { ':v': { S: 'run#3' }, ':s': { S: 'a' } },
      }),
    ).toEqual([['run#3']]);
    expect(
      leading('Query', { KeyConditionExpression: ':v = pk', ExpressionAttributeValues: { ':v': { S: 'x' } } }),
    ).toEqual([['x']]);
    expect(
      leading('Query', {
        IndexName: 'byRun',
        KeyConditionExpression: 'runId = :r',
        ExpressionAttributeValues: { ':r': { S: 'r1' } },
      }),
    ).toEqual([['r1']]);
    expect(
      leading('Query', { KeyConditions: { pk: { AttributeValueList: [{ S: 'y' }], ComparisonOperator: 'EQ' } } }),
    ).toEqual([['y']]);
  });

  it('asks a batch once per table, with that table’s keys; supplies none for a Scan, as AWS does not', () => {
    const batch = accessOf(
      call('BatchWriteItem', {
        RequestItems: {
          runs: [{ PutRequest: { Item: { pk: { S: 'a' } } } }, { DeleteRequest: { Key: { pk: { S: 'b' } } } }],
          other: [{ PutRequest: { Item: { id: { S: 'c' } } } }],
        },
      }),
      ARNS,
    );
    expect(batch).toEqual([
      { action: 'dynamodb:BatchWriteItem', resources: [table], context: { 'dynamodb:LeadingKeys': ['a', 'b'] } },
      { action: 'dynamodb:BatchWriteItem', resources: ['arn:aws:dynamodb:us-east-1:000000000000:table/other'] },
    ]);
    expect(leading('Scan', {})).toEqual([undefined]);
  });
});

describe('accessOf for DynamoDB: dynamodb:Attributes', () => {
  const call = (operation: string, input: object) => ({
    method: 'POST',
    url: new URL('http://127.0.0.1:4566/'),
    headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body: Buffer.from(JSON.stringify({ TableName: 'runs', ...input })),
  });
  const attributes = (operation: string, input: object) =>
    accessOf(call(operation, input), ARNS).map((a) => a.context?.['dynamodb:Attributes']);

  it('names the top-level attributes an update sets and its condition reads, through #names', () => {
    expect(
      attributes('UpdateItem', {
        Key: { runId: { S: 'r' } },
        UpdateExpression: 'SET approval.decisions.#who = :d, updatedAt = :now',
        ConditionExpression:
          '#status = :running AND attribute_exists(approval) AND attribute_not_exists(approval.decisions.#who)',
        ExpressionAttributeNames: { '#who': 'gates', '#status': 'status' },
      }),
    ).toEqual([['approval', 'runId', 'status', 'updatedAt']]);
  });

  it('sees a nested path’s first name only, and no value, function or keyword as a name', () => {
    expect(
      writtenAttributes('UpdateItem', {
        Key: { runId: { S: 'r' } },
        UpdateExpression: 'SET a.b[0].c = list_append(if_not_exists(d, :e), :f) REMOVE g, h.i ADD j :k DELETE l :m',
        ConditionExpression: 'size(n) > :o AND NOT begins_with(p, :q) AND r IN (:s, :t) AND u BETWEEN :v AND :w',
      }),
    ).toEqual(['a', 'd', 'g', 'h', 'j', 'l', 'n', 'p', 'r', 'runId', 'u']);
  });

  it('names a put’s item attributes and a delete’s key, and nothing for reads', () => {
    expect(attributes('PutItem', { Item: { runId: { S: 'r' }, gates: { M: {} } } })).toEqual([['gates', 'runId']]);
    expect(attributes('DeleteItem', { Key: { runId: { S: 'r' } } })).toEqual([['runId']]);
    expect(attributes('GetItem', { Key: { runId: { S: 'r' } } })).toEqual([undefined]);
  });
});

describe('accessOf for EventBridge PutEvents: events:source and events:detail-type', () => {
  it('asks once per entry, on its bus, with its source and detail-type as condition keys', () => {
    const call = {
      method: 'POST',
      url: new URL('http://127.0.0.1:4566/'),
      headers: { 'x-amz-target': 'AWSEvents.PutEvents' },
      body: Buffer.from(
        JSON.stringify({
          Entries: [
            { EventBusName: 'gantry', Source: 'gantry.audit', DetailType: 'Security Record', Detail: '{}' },
            { Source: 'gantry.pipelines', DetailType: 'Run Failed', Detail: '{}' },
          ],
        }),
      ),
    };
    expect(accessOf(call, ARNS)).toEqual([
      {
        action: 'events:PutEvents',
        resources: ['arn:aws:events:us-east-1:000000000000:event-bus/gantry'],
        context: { 'events:source': ['gantry.audit'], 'events:detail-type': ['Security Record'] },
      },
      {
        action: 'events:PutEvents',
        resources: ['arn:aws:events:us-east-1:000000000000:event-bus/default'],
        context: { 'events:source': ['gantry.pipelines'], 'events:detail-type': ['Run Failed'] },
      },
    ]);
  });
});
