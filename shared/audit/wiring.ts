import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { documentClient } from '../aws/clients';
import { jsonFromEnv, readEnv } from '../config/env';
import { DynamoDbAuditLedger } from './ledger';

/** Environment variables the CDK constructs set for every function that writes or signs the ledger. */
export const AUDIT_ENV = {
  table: 'AUDIT_TABLE_NAME',
  /** JSON `{ "change": days, "delivery": days }`: retention per record class. */
  retentionDays: 'AUDIT_RETENTION_DAYS',
  checkpointKey: 'AUDIT_CHECKPOINT_KEY_ID',
  checkpointBucket: 'AUDIT_CHECKPOINT_BUCKET',
  /** The checkpoint schedule's rate in minutes, which each scheduled checkpoint signs. */
  checkpointMinutes: 'AUDIT_CHECKPOINT_MINUTES',
} as const;

const RetentionSchema = z.partial(
  z.object({ change: z.number().check(z.int(), z.positive()), delivery: z.number().check(z.int(), z.positive()) }),
);

/** The ledger every step writes through; built once per cold start. */
export function awsAuditLedger(env: NodeJS.ProcessEnv = process.env) {
  const e = readEnv(
    z.object({
      [AUDIT_ENV.table]: z.string().check(z.minLength(1)),
      [AUDIT_ENV.retentionDays]: z._default(jsonFromEnv(RetentionSchema), {}),
    }),
    env,
  );
  return new DynamoDbAuditLedger(documentClient(new DynamoDBClient({})), e[AUDIT_ENV.table], {
    retentionDays: e[AUDIT_ENV.retentionDays],
  });
}
