import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { documentClient } from '../aws/clients';
import { jsonFromEnv, readEnv } from '../config/env';
import { type Observability, traced } from '../observability';
import { KmsCheckpointSigner, S3CheckpointStore } from './checkpoints';
import { DynamoDbAuditLedger } from './ledger';
import { AuditReader } from './reader';

/** Environment variables the CDK constructs set for every function that writes or signs the ledger. */
export const AUDIT_ENV = {
  table: 'AUDIT_TABLE_NAME',
  /** JSON `{ "change": days, "delivery": days }`: retention per record class. */
  retentionDays: 'AUDIT_RETENTION_DAYS',
  checkpointKey: 'AUDIT_CHECKPOINT_KEY_ID',
  checkpointBucket: 'AUDIT_CHECKPOINT_BUCKET',
} as const;

const RetentionSchema = z
  .object({ change: z.number().int().positive(), delivery: z.number().int().positive() })
  .partial();

/** The ledger every step writes through; built once per cold start. */
export function awsAuditLedger({ tracer }: Pick<Observability, 'tracer'>, env: NodeJS.ProcessEnv = process.env) {
  const e = readEnv(
    z.object({
      [AUDIT_ENV.table]: z.string().min(1),
      [AUDIT_ENV.retentionDays]: jsonFromEnv(RetentionSchema).default({}),
    }),
    env,
  );
  return new DynamoDbAuditLedger(documentClient(traced(tracer, new DynamoDBClient({}))), e[AUDIT_ENV.table], {
    retentionDays: e[AUDIT_ENV.retentionDays],
  });
}

/** What the checkpoint function needs: the reader, the KMS signer and the Object Lock bucket. */
export function awsCheckpointDeps({ tracer }: Pick<Observability, 'tracer'>, env: NodeJS.ProcessEnv = process.env) {
  const e = readEnv(
    z.object({
      [AUDIT_ENV.table]: z.string().min(1),
      [AUDIT_ENV.checkpointKey]: z.string().min(1),
      [AUDIT_ENV.checkpointBucket]: z.string().min(1),
    }),
    env,
  );
  return {
    reader: new AuditReader(documentClient(traced(tracer, new DynamoDBClient({}))), e[AUDIT_ENV.table]),
    signer: new KmsCheckpointSigner(traced(tracer, new KMSClient({})), e[AUDIT_ENV.checkpointKey]),
    store: new S3CheckpointStore(traced(tracer, new S3Client({})), e[AUDIT_ENV.checkpointBucket]),
  };
}
