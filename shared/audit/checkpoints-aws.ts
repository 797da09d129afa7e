import type { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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
  /**
   * Each version read, by key and version id: under Object Lock a version's bytes never change, so
   * a long-lived reader (the console's function) reads each checkpoint once, not on every check.
   */
  private readonly versions = new Map<string, Checkpoint | Error>();

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

  /**
   * Every checkpoint ever written, by version: a delete marker hides an object from a plain
   * listing (Object Lock keeps the version, not its place in the list), so versions are listed.
   * A hidden or overwritten checkpoint (Gantry writes each once and deletes none) is reported as
   * a failure, and every version of it is still checked.
   */
  async *list(): AsyncIterable<{ key: string; checkpoint: Checkpoint | Error }> {
    const keys = new Map<string, { versions: string[]; hiddenAt: string[] }>();
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      const entry = (key: string) => {
        const found = keys.get(key) ?? { versions: [], hiddenAt: [] };
        keys.set(key, found);
        return found;
      };
      for (const v of page.Versions ?? []) if (v.Key && v.VersionId) entry(v.Key).versions.push(v.VersionId);
      for (const m of page.DeleteMarkers ?? [])
        if (m.Key) entry(m.Key).hiddenAt.push(m.LastModified?.toISOString() ?? 'an unknown time');
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
    for (const [key, { versions, hiddenAt }] of [...keys.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (hiddenAt.length > 0)
        yield {
          key,
          checkpoint: new Error(
            `checkpoint ${key} was hidden by a delete marker (at ${hiddenAt.join(', ')}): checkpoints are never deleted; its locked version is checked all the same`,
          ),
        };
      if (versions.length > 1)
        yield {
          key,
          checkpoint: new Error(`checkpoint ${key} was written ${versions.length} times: each is written once`),
        };
      for (const versionId of versions) {
        const checkpoint = await this.version(key, versionId);
        yield { key: versions.length > 1 ? `${key}?versionId=${versionId}` : key, checkpoint };
      }
    }
  }

  private async version(key: string, versionId: string): Promise<Checkpoint | Error> {
    const id = `${key}\u0000${versionId}`;
    const known = this.versions.get(id);
    if (known !== undefined) return known;
    const got = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    const text = (await got.Body?.transformToString()) ?? '';
    let checkpoint: Checkpoint | Error;
    try {
      checkpoint = CheckpointSchema.parse(JSON.parse(text));
    } catch (error) {
      checkpoint = new Error(`unreadable checkpoint: ${(error as Error).message}`);
    }
    this.versions.set(id, checkpoint);
    return checkpoint;
  }
}
