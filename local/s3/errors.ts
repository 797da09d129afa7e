/** S3 error codes local mode answers with, and the HTTP status S3 gives each. */
const STATUS = {
  AccessDenied: 403,
  BadDigest: 400,
  BucketAlreadyOwnedByYou: 409,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  KeyTooLongError: 400,
  MethodNotAllowed: 405,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof STATUS;

/**
 * A request S3 would refuse, with the code and status S3 answers with, so the SDK raises the
 * same exception class (`NoSuchKey`, `NoSuchBucket`, …). `resource` is the bucket, key and
 * version named in the error document.
 */
export class S3Error extends Error {
  override readonly name = 'S3Error';
  readonly status: number;

  constructor(
    readonly code: S3ErrorCode,
    message: string,
    readonly resource?: { readonly bucketName?: string; readonly key?: string; readonly versionId?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = STATUS[code];
  }
}

/** The answer for a bucket local mode does not hold. */
export function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist', { bucketName: bucket });
}

/** The answer for a key the bucket does not hold. */
export function noSuchKey(bucket: string, key: string): S3Error {
  return new S3Error('NoSuchKey', 'The specified key does not exist.', { bucketName: bucket, key });
}

/** The answer for a version id a versioned bucket does not hold for the key. */
export function noSuchVersion(bucket: string, key: string, versionId: string): S3Error {
  return new S3Error('NoSuchVersion', 'The specified version does not exist.', { bucketName: bucket, key, versionId });
}

/** The answer for a version id on a bucket without versioning: only S3's `null` version exists there. */
export function invalidVersionId(bucket: string, key: string, versionId: string): S3Error {
  return new S3Error('InvalidArgument', 'Invalid version id specified', { bucketName: bucket, key, versionId });
}

/** S3's answer to GetObject or HeadObject naming a delete marker's version id. */
export function deleteMarkerVersion(bucket: string, key: string, versionId: string): S3Error {
  return new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    bucketName: bucket,
    key,
    versionId,
  });
}

/** The answer for anything outside the subset local mode emulates: never a silent success. */
export function notImplemented(what: string): S3Error {
  return new S3Error(
    'NotImplemented',
    `${what} is not implemented by the local S3 emulator (Gantry local mode supports PutObject, GetObject, ` +
      'HeadObject, DeleteObject, ListObjectsV2, ListObjectVersions, GetBucketVersioning, CreateBucket, HeadBucket ' +
      'and ListBuckets)',
  );
}
