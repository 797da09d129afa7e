import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** SDK options for a local endpoint: dummy credentials, a fixed region. */
export function localClientConfig(endpoint: string) {
  return { endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/** A pay-per-request table keyed by the string attribute `pk`. */
export async function createPkTable(endpoint: string, tableName: string): Promise<DynamoDBClient> {
  const client = new DynamoDBClient(localClientConfig(endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  return client;
}
