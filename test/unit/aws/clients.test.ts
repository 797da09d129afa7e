import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../shared/aws/clients';

/** A DynamoDB client answered in-process with one item, and a logger that records what it is given. */
function answeredClient() {
  const logged: unknown[] = [];
  const noop = () => undefined;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    logger: { debug: noop, info: (entry: unknown) => void logged.push(entry), warn: noop, error: noop },
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: Readable.from([Buffer.from(JSON.stringify({ Item: { id: { S: 'a' }, n: { N: '7' } } }))]),
        },
      }),
    } as never,
  });
  return { client, logged };
}

describe('documentClient', () => {
  it("leaves out the SDK's logger middleware, which masks every call's input and output for a logger Gantry never sets", async () => {
    const plain = answeredClient();
    await plain.client.send(new GetCommand({ TableName: 't', Key: { id: 'a' } }) as never);
    expect(plain.logged).toHaveLength(1);

    const { client, logged } = answeredClient();
    const documents = documentClient(client);
    await expect(documents.send(new GetCommand({ TableName: 't', Key: { id: 'a' } }))).resolves.toMatchObject({
      Item: { id: 'a', n: 7 },
    });
    expect(logged).toEqual([]);
  });
});
