import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type AwsJsonService, AwsServiceError, epochSeconds, requiredString } from '../edge/aws-json';
import type { TableSpec } from '../template/inventory';
import { writeExportFiles } from './export-files';

/** The DynamoDB operations served here rather than by dynalite, which has no exports. */
export const EXPORT_OPERATIONS: ReadonlySet<string> = new Set([
  'ExportTableToPointInTime',
  'DescribeExport',
  'ListExports',
  'DescribeContinuousBackups',
]);

export interface DynamoDbExportsOptions {
  readonly region: string;
  readonly accountId: string;
  readonly tables: readonly TableSpec[];
  /** Scans the tables (dynalite). */
  readonly db: DynamoDBClient;
  readonly hasBucket: (bucket: string) => Promise<boolean>;
  readonly putObject: (bucket: string, key: string, body: Buffer) => Promise<void>;
  /** Where the exports' descriptions are kept across restarts. */
  readonly stateFile: string;
}

interface ExportRecord {
  ExportArn: string;
  ExportStatus: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  StartTime: number;
  EndTime?: number;
  ExportManifest?: string;
  TableArn: string;
  TableId: string;
  ExportTime: number;
  ClientToken: string;
  S3Bucket: string;
  S3Prefix?: string;
  S3SseAlgorithm: 'AES256';
  ExportFormat: 'DYNAMODB_JSON';
  ExportType: 'FULL_EXPORT';
  ItemCount?: number;
  BilledSizeBytes?: number;
  FailureCode?: string;
  FailureMessage?: string;
}

/** How far back an export may be asked for: local mode keeps no history, only the table as it is. */
const NOW_SLACK_MS = 60_000;

/**
 * DynamoDB's export to S3, for local mode: ExportTableToPointInTime scans the table as it is
 * (dynalite keeps no point-in-time history, so only "now" can be asked for) and writes a full
 * DYNAMODB_JSON export into the local bucket, in the background as DynamoDB does; DescribeExport
 * and ListExports report it. As in AWS, only a table with point-in-time recovery exports
 * (DescribeContinuousBackups says which, from the template).
 */
export function dynamoDbExports(options: DynamoDbExportsOptions): AwsJsonService & { settled(): Promise<void> } {
  const exports = new Map<string, ExportRecord>(load(options.stateFile).map((e) => [e.ExportArn, e]));
  const running = new Set<Promise<void>>();
  const save = () => writeFileSync(options.stateFile, JSON.stringify([...exports.values()], null, 2));
  const tableArn = (name: string) => `arn:aws:dynamodb:${options.region}:${options.accountId}:table/${name}`;

  async function run(record: ExportRecord, table: TableSpec): Promise<void> {
    const partitionKey = ((table.create.KeySchema ?? []) as { AttributeName: string; KeyType: string }[]).find(
      (k) => k.KeyType === 'HASH',
    )?.AttributeName;
    const exportId = record.ExportArn.split('/').pop() as string;
    const folder = `${record.S3Prefix ? `${record.S3Prefix}/` : ''}AWSDynamoDB/${exportId}`;
    try {
      const written = await writeExportFiles(
        scanTable(options.db, table.name),
        partitionKey ?? '',
        {
          bucket: record.S3Bucket,
          folder,
          exportArn: record.ExportArn,
          tableArn: record.TableArn,
          tableId: record.TableId,
          startTime: new Date(record.StartTime * 1000),
          exportTime: new Date(record.ExportTime * 1000),
          prefix: record.S3Prefix ?? null,
        },
        (key, body) => options.putObject(record.S3Bucket, key, body),
      );
      Object.assign(record, {
        ExportStatus: 'COMPLETED',
        EndTime: epochSeconds(Date.now()),
        ExportManifest: written.manifestKey,
        ItemCount: written.itemCount,
        BilledSizeBytes: written.billedSizeBytes,
      });
    } catch (error) {
      Object.assign(record, {
        ExportStatus: 'FAILED',
        EndTime: epochSeconds(Date.now()),
        FailureCode: 'LocalExportFailed',
        FailureMessage: error instanceof Error ? error.message : String(error),
      });
    }
    save();
  }

  async function start(input: Record<string, unknown>): Promise<unknown> {
    const arn = requiredString(input, 'TableArn');
    const bucket = requiredString(input, 'S3Bucket');
    const table = options.tables.find((t) => tableArn(t.name) === arn);
    if (table === undefined) throw new AwsServiceError('TableNotFoundException', `Table not found: ${arn}`);
    if (!table.pointInTimeRecovery)
      throw new AwsServiceError(
        'PointInTimeRecoveryUnavailableException',
        `Point in time recovery is not enabled for table '${table.name}'`,
      );
    if (input.ExportFormat !== undefined && input.ExportFormat !== 'DYNAMODB_JSON')
      throw new AwsServiceError('ValidationException', 'local mode exports DYNAMODB_JSON only');
    if (input.ExportType !== undefined && input.ExportType !== 'FULL_EXPORT')
      throw new AwsServiceError('ValidationException', 'local mode makes full exports only (FULL_EXPORT)');
    const now = Date.now();
    if (typeof input.ExportTime === 'number' && Math.abs(input.ExportTime * 1000 - now) > NOW_SLACK_MS)
      throw new AwsServiceError(
        'InvalidExportTimeException',
        'local mode keeps no point-in-time history: export the table as it is now (omit ExportTime)',
      );
    if (!(await options.hasBucket(bucket)))
      throw new AwsServiceError('ValidationException', `S3 bucket ${bucket} does not exist`);
    const clientToken = typeof input.ClientToken === 'string' ? input.ClientToken : randomUUID();
    const earlier = [...exports.values()].find((e) => e.ClientToken === clientToken && e.TableArn === arn);
    if (earlier !== undefined) return { ExportDescription: earlier };
    const exportId = `${String(now).padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
    const prefix =
      typeof input.S3Prefix === 'string' && input.S3Prefix !== '' ? input.S3Prefix.replace(/\/+$/, '') : undefined;
    const record: ExportRecord = {
      ExportArn: `${arn}/export/${exportId}`,
      ExportStatus: 'IN_PROGRESS',
      StartTime: epochSeconds(now),
      TableArn: arn,
      TableId: table.name,
      ExportTime: epochSeconds(now),
      ClientToken: clientToken,
      S3Bucket: bucket,
      ...(prefix === undefined ? {} : { S3Prefix: prefix }),
      S3SseAlgorithm: 'AES256',
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'FULL_EXPORT',
    };
    exports.set(record.ExportArn, record);
    save();
    const job = run(record, table).finally(() => running.delete(job));
    running.add(job);
    return { ExportDescription: { ...record } };
  }

  return {
    name: 'DynamoDB',
    targetPrefix: 'DynamoDB_20120810',
    signingName: 'dynamodb',
    claims: EXPORT_OPERATIONS,
    errorNamespace: 'com.amazonaws.dynamodb.v20120810',
    async handle(operation, input) {
      switch (operation) {
        case 'ExportTableToPointInTime':
          return start(input);
        case 'DescribeContinuousBackups': {
          const name = requiredString(input, 'TableName');
          const table = options.tables.find((t) => t.name === name);
          if (table === undefined) throw new AwsServiceError('TableNotFoundException', `Table not found: ${name}`);
          const status = table.pointInTimeRecovery ? 'ENABLED' : 'DISABLED';
          return {
            ContinuousBackupsDescription: {
              ContinuousBackupsStatus: 'ENABLED',
              // Local mode keeps no history: the table can be exported only as it is now.
              PointInTimeRecoveryDescription: {
                PointInTimeRecoveryStatus: status,
                ...(table.pointInTimeRecovery
                  ? {
                      EarliestRestorableDateTime: epochSeconds(Date.now()),
                      LatestRestorableDateTime: epochSeconds(Date.now()),
                    }
                  : {}),
              },
            },
          };
        }
        case 'DescribeExport': {
          const record = exports.get(requiredString(input, 'ExportArn'));
          if (record === undefined) throw new AwsServiceError('ExportNotFoundException', 'Export not found');
          return { ExportDescription: { ...record } };
        }
        case 'ListExports': {
          const table = typeof input.TableArn === 'string' ? input.TableArn : undefined;
          return {
            ExportSummaries: [...exports.values()]
              .filter((e) => table === undefined || e.TableArn === table)
              .map((e) => ({ ExportArn: e.ExportArn, ExportStatus: e.ExportStatus, ExportType: e.ExportType })),
          };
        }
        default:
          throw new AwsServiceError('UnknownOperationException', `${operation} is not an export operation`);
      }
    },
    settled: async () => {
      await Promise.all(running);
    },
  };
}

/** Every item of the table, page by page (consistent reads). */
export async function* scanTable(db: DynamoDBClient, table: string): AsyncGenerator<Record<string, AttributeValue>> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
}

/** The exports of earlier sessions; one still running when the control plane stopped has failed. */
function load(file: string): ExportRecord[] {
  if (!existsSync(file)) return [];
  const records = JSON.parse(readFileSync(file, 'utf8')) as ExportRecord[];
  return records.map((r) =>
    r.ExportStatus === 'IN_PROGRESS'
      ? {
          ...r,
          ExportStatus: 'FAILED',
          FailureCode: 'LocalExportInterrupted',
          FailureMessage: 'the local control plane stopped during the export: export again',
        }
      : r,
  );
}

/** Where the exports' state lives in the data folder. */
export function exportsStateFile(dataDir: string): string {
  return join(dataDir, 'dynamodb-exports.json');
}
