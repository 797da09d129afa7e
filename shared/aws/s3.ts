import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArtifactStore } from './s3-location';

/** Build artifacts in S3, where CodeBuild puts them. */
export class S3ArtifactStore implements ArtifactStore {
  constructor(private readonly s3: S3Client) {}

  async read(bucket: string, key: string, version: { versionId: string; maxBytes?: number }): Promise<Buffer> {
    const get = (range: boolean) =>
      this.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          VersionId: version.versionId,
          ...(range && version.maxBytes !== undefined ? { Range: `bytes=0-${version.maxBytes - 1}` } : {}),
        }),
      );
    // S3 answers a range from byte 0 of an empty object with 416 InvalidRange: read it whole (it is nothing).
    const out = await get(true).catch((error: unknown) =>
      (error as { name?: string }).name === 'InvalidRange' ? get(false) : Promise.reject(error),
    );
    return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
  }
}
