import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { type RunningDynalite, startDynalite } from '../../local/dynamodb/dynalite';

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
  return active(client, tableName);
}

/** The runs table as the RunsTable construct declares it: key `runId`, one GSI per listing. */
export async function createRunsTable(endpoint: string, tableName: string): Promise<DynamoDBClient> {
  const { RUN_INDEXES } = await import('../../shared/runs/store');
  const keys: Record<string, string> = {
    byPipeline: 'pipeline',
    byRepository: 'repository',
    byStatus: 'status',
    byLane: 'lane',
    recent: 'kind',
  };
  const client = new DynamoDBClient(localClientConfig(endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'runId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
        ...Object.values(keys).map((k) => ({ AttributeName: k, AttributeType: 'S' as const })),
      ],
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Object.values(RUN_INDEXES).map((index) => ({
        IndexName: index,
        KeySchema: [
          { AttributeName: keys[index] ?? index, KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  return active(client, tableName);
}

/**
 * The audit table as the AuditLedger construct declares it: chain + seq, one GSI per query path
 * (`without` leaves indexes out: a table from before they were added).
 */
export async function createAuditTable(
  endpoint: string,
  tableName: string,
  without: readonly string[] = [],
): Promise<DynamoDBClient> {
  const { AUDIT_INDEXES, AUDIT_INDEX_KEYS, AUDIT_INDEX_PARTITIONS } = await import('../../shared/audit/ledger');
  const client = new DynamoDBClient(localClientConfig(endpoint));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'chain', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
        { AttributeName: 'time', AttributeType: 'S' },
        ...Object.values(AUDIT_INDEX_KEYS).map((k) => ({ AttributeName: k, AttributeType: 'S' as const })),
      ],
      KeySchema: [
        { AttributeName: 'chain', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: (Object.keys(AUDIT_INDEXES) as (keyof typeof AUDIT_INDEXES)[])
        .filter((index) => !without.includes(AUDIT_INDEXES[index]))
        .map((index) => ({
          IndexName: AUDIT_INDEXES[index],
          KeySchema: [
            { AttributeName: AUDIT_INDEX_PARTITIONS[index], KeyType: 'HASH' },
            { AttributeName: 'time', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
    }),
  );
  return active(client, tableName);
}

/**
 * One dynalite per test file and a fresh table per test, each test's client destroyed after it:
 * `const tables = dynaliteTables(createPkTable, 'deliveries')`, then `tables.client`, `tables.name`.
 */
export function dynaliteTables(
  create: (endpoint: string, tableName: string) => Promise<DynamoDBClient>,
  prefix: string,
): { readonly client: DynamoDBClient; readonly name: string; readonly endpoint: string } {
  let dynamo: RunningDynalite | undefined;
  let client: DynamoDBClient | undefined;
  let name = '';
  let count = 0;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo?.close();
  });
  beforeEach(async () => {
    name = `${prefix}-${++count}`;
    client = await create(dynamo?.endpoint ?? '', name);
  });
  afterEach(() => client?.destroy());
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('dynaliteTables: use it inside a test');
    return value;
  };
  return {
    get client() {
      return started(client);
    },
    get name() {
      return name;
    },
    get endpoint() {
      return started(dynamo).endpoint;
    },
  };
}

/**
 * The client, once the table it created is ACTIVE: dynalite, like DynamoDB, answers CreateTable
 * while the table is still CREATING and refuses writes to it until then (a busy machine showed it).
 */
async function active(client: DynamoDBClient, tableName: string): Promise<DynamoDBClient> {
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.02, maxDelay: 0.25 }, { TableName: tableName });
  return client;
}
