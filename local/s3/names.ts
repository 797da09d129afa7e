import { S3Error } from './errors';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;
const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/** Whether S3 would accept `name` as a bucket name (general purpose buckets' rules). */
export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !IP_ADDRESS.test(name);
}

/** Refuses a bucket name S3 would refuse, as CreateBucket does. */
export function assertBucketName(name: string): void {
  if (!isValidBucketName(name)) {
    throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { bucketName: name });
  }
}

/**
 * The key's path segments, for storing the object as a file under its bucket's folder. Keys a
 * file tree cannot hold faithfully (empty, `.` or `..` segments, a trailing `/`, segments longer
 * than a file name may be) are refused rather than stored under another name.
 */
export function keySegments(bucket: string, key: string): string[] {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', 'Your key is too long', { bucketName: bucket, key });
  }
  const segments = key.split('/');
  const unfit = segments.find((s) => s === '' || s === '.' || s === '..' || Buffer.byteLength(s) > MAX_SEGMENT_BYTES);
  if (key === '' || unfit !== undefined || key.includes('\0')) {
    throw new S3Error(
      'NotImplemented',
      `The local S3 emulator stores objects as files and cannot hold the key "${key}" ` +
        '(empty, ".", ".." or over-long path segments, or a trailing "/")',
      { bucketName: bucket, key },
    );
  }
  return segments;
}
