import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type ArtifactStore, parseS3Location } from './s3-location';

/** Every key under a prefix, page by page, up to `max`. */
export async function listKeys(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  prefix: string,
  max = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.NextContinuationToken;
  } while (token !== undefined && keys.length < max);
  return keys;
}

/** Build artifacts in S3, where CodeBuild puts them. */
export class S3ArtifactStore implements ArtifactStore {
  constructor(private readonly s3: S3Client) {}

  async list(location: string): Promise<string[]> {
    const { bucket, prefix } = parseS3Location(location);
    return listKeys(this.s3, bucket, prefix, 1000);
  }

  async read(location: string, key: string): Promise<Buffer> {
    const { bucket } = parseS3Location(location);
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
  }
}
