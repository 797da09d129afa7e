import type { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { KmsEcdsaKey } from '../aws/kms-key';
import { type Checkpoint, CheckpointSchema, type CheckpointSigner, type CheckpointStore } from './checkpoints';

/*
 * The checkpoints' AWS adapters, apart from the checkpoint itself (checkpoints.ts) so that what
 * only checks a ledger (verify, the console's first page) does not load KMS and S3 with it.
 */

/** KMS asymmetric signing (ECC_NIST_P256) of checkpoint bodies: the private key never leaves KMS. */
export class KmsCheckpointSigner extends KmsEcdsaKey implements CheckpointSigner {
  constructor(kms: Pick<KMSClient, 'send'>, keyId: string) {
    super(kms, keyId, 'RAW');
  }
}

/** Checkpoints as S3 objects under `checkpoints/`, never overwritten; the bucket's Object Lock keeps them. */
export class S3CheckpointStore implements CheckpointStore {
  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    readonly bucket: string,
    private readonly prefix = 'checkpoints/',
  ) {}

  async put(checkpoint: Checkpoint): Promise<string> {
    const key = `${this.prefix}${checkpoint.time.replace(/[:.]/g, '-')}.json`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: `${JSON.stringify(checkpoint, null, 2)}\n`,
        ContentType: 'application/json',
        IfNoneMatch: '*',
      }),
    );
    return key;
  }

  async *list(): AsyncIterable<{ key: string; checkpoint: Checkpoint | Error }> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const got = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: object.Key }));
        const text = (await got.Body?.transformToString()) ?? '';
        let checkpoint: Checkpoint | Error;
        try {
          checkpoint = CheckpointSchema.parse(JSON.parse(text));
        } catch (error) {
          checkpoint = new Error(`unreadable checkpoint: ${(error as Error).message}`);
        }
        yield { key: object.Key, checkpoint };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
