import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { documentClient } from '../aws/clients';
import { readEnv } from '../config/env';
import { KmsCheckpointSigner, S3CheckpointStore } from './checkpoints-aws';
import { AuditReader } from './reader';
import { AUDIT_ENV } from './wiring';

/**
 * What the checkpoint function needs: the reader, the KMS signer and the Object Lock bucket.
 * Apart from the ledger's wiring (./wiring.ts), which every function that writes the ledger
 * imports, so that only this function loads the KMS and S3 clients at cold start.
 */
export function awsCheckpointDeps(env: NodeJS.ProcessEnv = process.env) {
  const e = readEnv(
    z.object({
      [AUDIT_ENV.table]: z.string().check(z.minLength(1)),
      [AUDIT_ENV.checkpointKey]: z.string().check(z.minLength(1)),
      [AUDIT_ENV.checkpointBucket]: z.string().check(z.minLength(1)),
      [AUDIT_ENV.checkpointMinutes]: z.coerce.number().check(z.int(), z.positive()),
    }),
    env,
  );
  return {
    reader: new AuditReader(documentClient(new DynamoDBClient({})), e[AUDIT_ENV.table]),
    signer: new KmsCheckpointSigner(new KMSClient({}), e[AUDIT_ENV.checkpointKey]),
    store: new S3CheckpointStore(new S3Client({}), e[AUDIT_ENV.checkpointBucket]),
    everyMinutes: e[AUDIT_ENV.checkpointMinutes],
  };
}
