import { CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { KmsCheckpointSigner, S3CheckpointStore } from '../audit/checkpoints';
import { AuditReader } from '../audit/reader';
import { type VerifyOptions, verifyLedger } from '../audit/verify';
import { documentClient } from '../aws/clients';
import { StateMachinePipelines } from '../pipelines/aws';
import { DynamoDbRunStore } from '../runs/store';
import type { ConsolePorts } from './ports';

/** SDK options: the default chain in AWS, the local edge in local mode. */
export interface ClientOptions {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface ConsoleTables {
  readonly runsTable: string;
  readonly auditTable: string;
  /** Whether the logs service filters server-side (CloudWatch's FilterLogEvents); local mode pages and filters here. */
  readonly filterLogs: boolean;
  /** The signed checkpoints (signing key, bucket), to check them as `gantry audit verify` does. @default chains only */
  readonly checkpoints?: { readonly keyId: string; readonly bucket: string };
}

/** The console's read ports over the AWS SDK; the operator port is the caller's. */
export function consoleReadPorts(clients: ClientOptions, tables: ConsoleTables): Omit<ConsolePorts, 'operator'> {
  const sfn = new SFNClient(clients);
  const db = documentClient(new DynamoDBClient(clients));
  const logs = new CloudWatchLogsClient(clients);
  const audit = new AuditReader(db, tables.auditTable);
  const checkpoints = checkpointOptions(clients, tables.checkpoints);
  return {
    runs: new DynamoDbRunStore(db, tables.runsTable),
    audit,
    ledger: { verify: () => verifyLedger(audit, checkpoints) },
    pipelines: new StateMachinePipelines(sfn),
    executions: {
      definition: async (executionArn) =>
        (await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }))).definition ?? '{}',
    },
    logs: {
      read: (group, stream, options) =>
        tables.filterLogs ? filtered(logs, group, stream, options) : paged(logs, group, stream, options),
    },
  };
}

function checkpointOptions(clients: ClientOptions, checkpoints: ConsoleTables['checkpoints']): VerifyOptions {
  if (checkpoints === undefined) return {};
  const s3 = new S3Client({ ...clients, forcePathStyle: clients.endpoint !== undefined });
  return {
    signer: new KmsCheckpointSigner(new KMSClient(clients), checkpoints.keyId),
    checkpoints: new S3CheckpointStore(s3, checkpoints.bucket),
  };
}

/** Lines from `from`, reading page by page and keeping those that contain the filter: never the whole log to the page. */
async function paged(
  logs: CloudWatchLogsClient,
  group: string,
  stream: string,
  options: { from: number; limit: number; filter?: string },
): Promise<{ lines: { n: number; text: string }[]; next: number }> {
  const lines: { n: number; text: string }[] = [];
  const needle = options.filter?.toLowerCase();
  let n = options.from;
  for (;;) {
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        startFromHead: true,
        nextToken: `f/${n}`,
        limit: 1000,
      }),
    );
    const events = out.events ?? [];
    for (const event of events) {
      const text = event.message ?? '';
      if (needle === undefined || text.toLowerCase().includes(needle)) lines.push({ n, text });
      n += 1;
      if (lines.length >= options.limit) return { lines, next: n };
    }
    if (events.length === 0) return { lines, next: n };
  }
}

/** In AWS, CloudWatch Logs filters server-side (FilterLogEvents); `next` counts the lines already shown. */
async function filtered(
  logs: CloudWatchLogsClient,
  group: string,
  stream: string,
  options: { from: number; limit: number; filter?: string },
): Promise<{ lines: { n: number; text: string }[]; next: number }> {
  const lines: { n: number; text: string }[] = [];
  let nextToken: string | undefined;
  let seen = 0;
  do {
    const out = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        logStreamNames: [stream],
        ...(options.filter ? { filterPattern: JSON.stringify(options.filter) } : {}),
        nextToken,
      }),
    );
    for (const event of out.events ?? []) {
      if (seen++ < options.from) continue;
      lines.push({ n: seen - 1, text: event.message ?? '' });
      if (lines.length >= options.limit) return { lines, next: seen };
    }
    nextToken = out.nextToken;
  } while (nextToken);
  return { lines, next: seen };
}
