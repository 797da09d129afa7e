import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { rememberingVerdicts } from '../audit/checkpoints';
import { KmsCheckpointSigner, S3CheckpointStore } from '../audit/checkpoints-aws';
import type { VerifyOptions } from '../audit/verify';
import type { ClientOptions, ConsoleTables } from './wiring';

/** The signed checkpoints the console's ledger check reads (S3) and verifies (KMS); imported on its first check. */
export function checkpointOptions(clients: ClientOptions, checkpoints: ConsoleTables['checkpoints']): VerifyOptions {
  if (checkpoints === undefined) return {};
  const s3 = new S3Client({ ...clients, forcePathStyle: clients.endpoint !== undefined });
  return {
    // The function lives on between requests: each checkpoint is read and verified once.
    signer: rememberingVerdicts(new KmsCheckpointSigner(new KMSClient(clients), checkpoints.keyId)),
    checkpoints: new S3CheckpointStore(s3, checkpoints.bucket),
  };
}
