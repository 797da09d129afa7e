import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectVersion, StoredVersion, VersionedObjects } from './ports';

/**
 * The versioned artifacts bucket: reads report the version they returned; a missing id is an error.
 * Apart from the KMS signer and CodeBuild's builds (./aws): FetchSource writes its snapshots here
 * and loads neither of those clients.
 */
export class S3VersionedObjects implements VersionedObjects {
  constructor(private readonly s3: S3Client) {}

  async versions(bucket: string, prefix: string): Promise<StoredVersion[]> {
    const found: StoredVersion[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const [entries, deleteMarker] of [
        [page.Versions ?? [], false],
        [page.DeleteMarkers ?? [], true],
      ] as const) {
        for (const v of entries) found.push(storedVersion(bucket, v, deleteMarker));
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
    return found;
  }

  async get(bucket: string, key: string, versionId?: string): Promise<ObjectVersion> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    if (!out.VersionId || out.VersionId === 'null') {
      throw new Error(`s3://${bucket}/${key} has no version id: the artifacts bucket must be versioned`);
    }
    return { versionId: out.VersionId, body: out.Body as Readable };
  }

  async put(bucket: string, key: string, body: Buffer, contentType: string): Promise<string> {
    const out = await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
    if (!out.VersionId) throw new Error(`s3://${bucket} gave ${key} no version id: the bucket must be versioned`);
    return out.VersionId;
  }
}

/** A listed version; one S3 describes without a key, version id or time is an error, not a guess. */
function storedVersion(
  bucket: string,
  v: { Key?: string; VersionId?: string; LastModified?: Date },
  deleteMarker: boolean,
): StoredVersion {
  if (!v.Key || !v.VersionId || v.VersionId === 'null' || v.LastModified === undefined) {
    throw new Error(
      `s3://${bucket} listed ${v.Key ?? 'a key'} without a version id or time: the artifacts bucket must be versioned`,
    );
  }
  return { key: v.Key, versionId: v.VersionId, lastModified: v.LastModified, deleteMarker };
}
