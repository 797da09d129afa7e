import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** Where an export writes, and what its summary names. */
export interface ExportTarget {
  readonly bucket: string;
  /** `<S3Prefix>/AWSDynamoDB/<export id>` */
  readonly folder: string;
  readonly exportArn: string;
  readonly tableArn: string;
  readonly tableId: string;
  readonly startTime: Date;
  readonly exportTime: Date;
  readonly prefix: string | null;
}

export interface WrittenExport {
  readonly itemCount: number;
  readonly billedSizeBytes: number;
  /** The key of `manifest-summary.json`. */
  readonly manifestKey: string;
}

/**
 * Writes a table's items as DynamoDB writes a full export in DYNAMODB_JSON: gzipped data files of
 * `{"Item": …}` lines, one per partition of the key space (`partitions` here, by the partition
 * key's hash, so a reader never sees them in key order), `manifest-files.json` with each file's
 * item count and MD5, `manifest-summary.json`, their `.checksum` files and `_started`.
 */
export async function writeExportFiles(
  items: AsyncIterable<Record<string, AttributeValue>>,
  partitionKey: string,
  target: ExportTarget,
  put: (key: string, body: Buffer) => Promise<void>,
  partitions = 4,
): Promise<WrittenExport> {
  const { folder } = target;
  await put(`${folder}/_started`, Buffer.alloc(0));
  const lines: string[][] = Array.from({ length: partitions }, () => []);
  let itemCount = 0;
  let billedSizeBytes = 0;
  for await (const item of items) {
    const line = JSON.stringify({ Item: item });
    const key = JSON.stringify(item[partitionKey] ?? null);
    const hashed = createHash('md5').update(key).digest().readUInt32BE(0);
    lines[hashed % partitions]?.push(line);
    itemCount += 1;
    billedSizeBytes += Buffer.byteLength(line);
  }
  const files: string[] = [];
  for (const part of lines) {
    const gz = gzipSync(part.length === 0 ? '' : `${part.join('\n')}\n`);
    const dataFileS3Key = `${folder}/data/${randomUUID().replaceAll('-', '').slice(0, 26)}.json.gz`;
    await put(dataFileS3Key, gz);
    files.push(
      JSON.stringify({
        itemCount: part.length,
        md5Checksum: createHash('md5').update(gz).digest('base64'),
        etag: createHash('md5').update(gz).digest('hex'),
        dataFileS3Key,
      }),
    );
  }
  const manifestFiles = Buffer.from(`${files.join('\n')}\n`);
  const manifestFilesS3Key = `${folder}/manifest-files.json`;
  await put(manifestFilesS3Key, manifestFiles);
  await put(`${folder}/manifest-files.checksum`, Buffer.from(createHash('md5').update(manifestFiles).digest('hex')));
  const summary = Buffer.from(
    JSON.stringify({
      version: '2020-06-30',
      exportArn: target.exportArn,
      startTime: target.startTime.toISOString(),
      endTime: new Date().toISOString(),
      tableArn: target.tableArn,
      tableId: target.tableId,
      exportTime: target.exportTime.toISOString(),
      s3Bucket: target.bucket,
      s3Prefix: target.prefix,
      s3SseAlgorithm: 'AES256',
      s3SseKmsKeyId: null,
      manifestFilesS3Key,
      billedSizeBytes,
      itemCount,
      outputFormat: 'DYNAMODB_JSON',
      exportType: 'FULL_EXPORT',
    }),
  );
  const manifestKey = `${folder}/manifest-summary.json`;
  await put(manifestKey, summary);
  await put(`${folder}/manifest-summary.checksum`, Buffer.from(createHash('md5').update(summary).digest('hex')));
  return { itemCount, billedSizeBytes, manifestKey };
}
