import { type KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import canonicalize from 'canonicalize';
import * as z from 'zod';
import type { AuditReader } from './reader';

/** What a checkpoint signs: every chain's head at one moment. */
export const CheckpointBodySchema = z.object({
  version: z.literal(1),
  time: z.string(),
  keyId: z.string(),
  algorithm: z.string(),
  chains: z.array(z.object({ chain: z.string(), seq: z.number().int(), hash: z.string() })),
});
export type CheckpointBody = z.infer<typeof CheckpointBodySchema>;
export const CheckpointSchema = CheckpointBodySchema.extend({ signature: z.string() });
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const CHECKPOINT_ALGORITHM = 'ECDSA_SHA_256';

/** Port: signs and verifies checkpoint bodies with an asymmetric key the writers cannot export. */
export interface CheckpointSigner {
  readonly keyId: string;
  sign(message: Buffer): Promise<Buffer>;
  verify(message: Buffer, signature: Buffer): Promise<boolean>;
}

/** Port: where signed checkpoints are kept (write-once storage in AWS). */
export interface CheckpointStore {
  put(checkpoint: Checkpoint): Promise<string>;
  list(): AsyncIterable<{ key: string; checkpoint: Checkpoint | Error }>;
}

/** KMS asymmetric signing (ECC_NIST_P256): the private key never leaves KMS. */
export class KmsCheckpointSigner implements CheckpointSigner {
  constructor(
    private readonly kms: Pick<KMSClient, 'send'>,
    readonly keyId: string,
  ) {}

  async sign(message: Buffer): Promise<Buffer> {
    const out = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: CHECKPOINT_ALGORITHM,
      }),
    );
    if (!out.Signature) throw new Error('KMS returned no signature');
    return Buffer.from(out.Signature);
  }

  async verify(message: Buffer, signature: Buffer): Promise<boolean> {
    try {
      const out = await this.kms.send(
        new VerifyCommand({
          KeyId: this.keyId,
          Message: message,
          MessageType: 'RAW',
          Signature: signature,
          SigningAlgorithm: CHECKPOINT_ALGORITHM,
        }),
      );
      return out.SignatureValid === true;
    } catch (error) {
      if ((error as { name?: string }).name === 'KMSInvalidSignatureException') return false;
      throw error;
    }
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

export function checkpointMessage(body: CheckpointBody): Buffer {
  const { version, time, keyId, algorithm, chains } = body;
  return Buffer.from(canonicalize({ version, time, keyId, algorithm, chains }) ?? '');
}

/** Signs every chain's current head and stores the checkpoint. */
export async function writeCheckpoint(
  reader: AuditReader,
  signer: CheckpointSigner,
  store: CheckpointStore,
  now: Date = new Date(),
): Promise<{ key: string; checkpoint: Checkpoint }> {
  const chains = [];
  for (const chain of await reader.chains()) {
    const head = await reader.head(chain);
    if (head) chains.push({ chain, seq: head.seq, hash: head.hash });
  }
  const body: CheckpointBody = {
    version: 1,
    time: now.toISOString(),
    keyId: signer.keyId,
    algorithm: CHECKPOINT_ALGORITHM,
    chains,
  };
  const signature = (await signer.sign(checkpointMessage(body))).toString('base64');
  const checkpoint = { ...body, signature };
  return { key: await store.put(checkpoint), checkpoint };
}
