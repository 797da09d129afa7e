import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDbExports } from '../../../local/dynamodb/exports';
import { AwsServiceError } from '../../../local/edge/aws-json';
import type { TableSpec } from '../../../local/template/inventory';
import { exportedItems, readExportManifest } from '../../../shared/audit/table-export';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/gantry-audit';

function table(name: string, pointInTimeRecovery: boolean): TableSpec {
  return {
    name,
    pointInTimeRecovery,
    create: {
      TableName: name,
      KeySchema: [
        { AttributeName: 'chain', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
    },
  };
}

/** A table of 7 items, scanned in pages of 3 as DynamoDB pages a Scan. */
function scannedDb(): DynamoDBClient {
  const items = Array.from({ length: 7 }, (_, i) => ({ chain: { S: `c${i % 2}` }, seq: { N: String(i) } }));
  return {
    send: async (command: { input: { ExclusiveStartKey?: { seq: { N: string } } } }) => {
      const from = command.input.ExclusiveStartKey ? Number(command.input.ExclusiveStartKey.seq.N) + 1 : 0;
      const page = items.slice(from, from + 3);
      return { Items: page, ...(from + 3 < items.length ? { LastEvaluatedKey: page.at(-1) } : {}) };
    },
  } as unknown as DynamoDBClient;
}

describe('local DynamoDB exports (ExportTableToPointInTime, DescribeExport, ListExports)', () => {
  let dir: string;
  let bucket: Map<string, Buffer>;
  const service = (stateFile = join(dir, 'exports.json')) =>
    dynamoDbExports({
      region: 'us-east-1',
      accountId: '000000000000',
      tables: [table('gantry-audit', true), table('gantry-runs', false)],
      db: scannedDb(),
      hasBucket: async (name) => name === 'exports',
      putObject: async (_bucket, key, body) => void bucket.set(key, body),
      stateFile,
    });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-exports-'));
    bucket = new Map();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the whole table as a DYNAMODB_JSON export in the background, then describes it as COMPLETED', async () => {
    const exports = service();
    const started = (await exports.handle('ExportTableToPointInTime', {
      TableArn: TABLE_ARN,
      S3Bucket: 'exports',
      S3Prefix: 'ledger/',
    })) as { ExportDescription: { ExportArn: string; ExportStatus: string } };
    expect(started.ExportDescription).toMatchObject({ ExportStatus: 'IN_PROGRESS' });
    expect(started.ExportDescription.ExportArn).toMatch(
      /^arn:aws:dynamodb:.*:table\/gantry-audit\/export\/\d{14}-[0-9a-f]{8}$/,
    );
    await exports.settled();
    const { ExportDescription: done } = (await exports.handle('DescribeExport', {
      ExportArn: started.ExportDescription.ExportArn,
    })) as { ExportDescription: { ExportStatus: string; ExportManifest: string; ItemCount: number } };
    expect(done).toMatchObject({ ExportStatus: 'COMPLETED', ItemCount: 7, ExportFormat: 'DYNAMODB_JSON' });
    expect(done.ExportManifest).toMatch(/^ledger\/AWSDynamoDB\/\d{14}-[0-9a-f]{8}\/manifest-summary\.json$/);
    const objects = { get: async (key: string) => bucket.get(key) };
    const manifest = await readExportManifest(objects, done.ExportManifest.replace('/manifest-summary.json', ''));
    const items = [];
    for await (const item of exportedItems(objects, manifest)) items.push(item);
    expect(items.map((i) => i.seq).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await exports.handle('ListExports', { TableArn: TABLE_ARN })).toEqual({
      ExportSummaries: [
        { ExportArn: started.ExportDescription.ExportArn, ExportStatus: 'COMPLETED', ExportType: 'FULL_EXPORT' },
      ],
    });
  });

  it('says which tables have point-in-time recovery, as the template sets it', async () => {
    const status = async (TableName: string) =>
      (
        (await service().handle('DescribeContinuousBackups', { TableName })) as {
          ContinuousBackupsDescription: { PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: string } };
        }
      ).ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus;
    expect([await status('gantry-audit'), await status('gantry-runs')]).toEqual(['ENABLED', 'DISABLED']);
    await expect(service().handle('DescribeContinuousBackups', { TableName: 'nope' })).rejects.toThrow(/not found/);
  });

  it('answers the same export again for the same client token', async () => {
    const exports = service();
    const ask = () =>
      exports.handle('ExportTableToPointInTime', { TableArn: TABLE_ARN, S3Bucket: 'exports', ClientToken: 'once' });
    const first = (await ask()) as { ExportDescription: { ExportArn: string } };
    const again = (await ask()) as { ExportDescription: { ExportArn: string } };
    expect(again.ExportDescription.ExportArn).toBe(first.ExportDescription.ExportArn);
    await exports.settled();
  });

  it('refuses what DynamoDB refuses, and what local mode cannot do, with the reason', async () => {
    const exports = service();
    const refusal = (input: Record<string, unknown>) =>
      exports.handle('ExportTableToPointInTime', { TableArn: TABLE_ARN, S3Bucket: 'exports', ...input }).then(
        () => undefined,
        (error: AwsServiceError) => [error.code, error.message],
      );
    expect(await refusal({ TableArn: TABLE_ARN.replace('gantry-audit', 'gantry-runs') })).toEqual([
      'PointInTimeRecoveryUnavailableException',
      "Point in time recovery is not enabled for table 'gantry-runs'",
    ]);
    expect((await refusal({ TableArn: TABLE_ARN.replace('gantry-audit', 'nope') }))?.[0]).toBe(
      'TableNotFoundException',
    );
    expect((await refusal({ S3Bucket: 'elsewhere' }))?.[1]).toBe('S3 bucket elsewhere does not exist');
    expect((await refusal({ ExportFormat: 'ION' }))?.[1]).toMatch(/DYNAMODB_JSON only/);
    expect((await refusal({ ExportType: 'INCREMENTAL_EXPORT' }))?.[1]).toMatch(/full exports only/);
    expect(await refusal({ ExportTime: Date.now() / 1000 - 86_400 })).toEqual([
      'InvalidExportTimeException',
      'local mode keeps no point-in-time history: export the table as it is now (omit ExportTime)',
    ]);
    await expect(exports.handle('DescribeExport', { ExportArn: `${TABLE_ARN}/export/x` })).rejects.toThrow(
      AwsServiceError,
    );
    expect(bucket.size).toBe(0);
  });

  it('reports an export the control plane stopped during as FAILED after a restart, saying to export again', async () => {
    const stateFile = join(dir, 'exports.json');
    const arn = `${TABLE_ARN}/export/01764806400000-0a0b0c0d`;
    writeFileSync(stateFile, JSON.stringify([{ ExportArn: arn, ExportStatus: 'IN_PROGRESS', TableArn: TABLE_ARN }]));
    const described = (await service(stateFile).handle('DescribeExport', { ExportArn: arn })) as {
      ExportDescription: Record<string, unknown>;
    };
    expect(described.ExportDescription).toMatchObject({
      ExportStatus: 'FAILED',
      FailureMessage: 'the local control plane stopped during the export: export again',
    });
  });
});
