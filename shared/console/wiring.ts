import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { buildDossier } from '../audit/evidence';
import { AuditReader } from '../audit/reader';
import { type VerifyOptions, verifyLedger } from '../audit/verify';
import { documentClient } from '../aws/clients';
import { StateMachinePipelines } from '../pipelines/aws';
import { DynamoDbRunStore } from '../runs/store';
import type { LogReader } from './logs';
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
  const audit = new AuditReader(db, tables.auditTable);
  // A build's log and the ledger's check load their clients (CloudWatch Logs; S3 and KMS for the
  // checkpoints) when first asked for: a cold start that serves a page loads none of them.
  let logs: Promise<LogReader> | undefined;
  let checkpoints: Promise<VerifyOptions> | undefined;
  const checked = () => {
    checkpoints ??= import('./checkpoints').then((m) => m.checkpointOptions(clients, tables.checkpoints));
    return checkpoints;
  };
  return {
    runs: new DynamoDbRunStore(db, tables.runsTable),
    audit,
    ledger: {
      verify: async () => verifyLedger(audit, await checked()),
      dossier: async (runId) => buildDossier(audit, runId, await checked()),
    },
    pipelines: new StateMachinePipelines(sfn),
    executions: {
      definition: async (executionArn) =>
        (await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }))).definition ?? '{}',
    },
    logs: {
      read: async (group, stream, options) => {
        logs ??= import('./logs').then((m) => m.logReader(clients, tables.filterLogs));
        return (await logs)(group, stream, options);
      },
    },
  };
}
