import { randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { noSuchBucket, noSuchKey, S3Error } from './errors';
import { isMissing, md5OfFile, pruneEmptyDirs, statOrUndefined, walkFiles, writeBody } from './files';
import { compareKeys, type ListPage, type ListParams, listPage } from './list';
import { DEFAULT_CONTENT_TYPE, type ObjectMetadata, parseSidecar, type Sidecar, type StoredObject } from './metadata';
import { assertBucketName, isValidBucketName, keySegments } from './names';

export interface S3StoreOptions {
  /** The template's buckets: they exist from the start. */
  readonly buckets: readonly string[];
  /** Objects live under `<dataDir>/<bucket>/<key>`; metadata in a parallel `.meta` tree. */
  readonly dataDir: string;
  /**
   * Buckets with Object Lock (compliance mode): local mode keeps one version per key, so an
   * object there can be neither overwritten nor deleted, as a locked version cannot be in S3.
   */
  readonly lockedBuckets?: readonly string[];
}

export interface PutOptions {
  readonly metadata?: Partial<ObjectMetadata>;
  /** Content-MD5 as sent (base64): a mismatch is S3's BadDigest. */
  readonly contentMd5?: string;
  /**
   * x-amz-checksum-crc32 as sent (base64, big-endian), read once the body is in: a streaming
   * upload sends it as a trailer. A mismatch is S3's BadDigest.
   */
  readonly checksumCrc32?: () => string | undefined;
  /** `If-None-Match: *`: write only when the key is free. */
  readonly ifNoneMatch?: string;
}

/** A page of ListObjectsV2, with each key described. */
export interface ObjectListing extends Omit<ListPage, 'keys'> {
  readonly objects: readonly StoredObject[];
}

/** A byte range to read, inclusive, as an HTTP Range resolves to. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const META_DIR = '.meta';
const TMP_DIR = '.tmp';

/**
 * A filesystem-backed S3 subset for local mode: what the HTTP emulator serves and what the
 * local build runner writes artifacts through. Writes land in a temporary file and are renamed
 * into place, so a reader never sees half an object.
 */
export class S3Store {
  private readonly root: string;

  private readonly locked: ReadonlySet<string>;

  constructor(options: S3StoreOptions) {
    this.root = options.dataDir;
    this.locked = new Set(options.lockedBuckets ?? []);
    mkdirSync(join(this.root, TMP_DIR), { recursive: true, mode: 0o700 });
    for (const bucket of options.buckets) {
      assertBucketName(bucket);
      mkdirSync(join(this.root, bucket), { recursive: true });
    }
  }

  async listBuckets(): Promise<{ name: string; creationDate: Date }[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    const buckets = entries.filter((e) => e.isDirectory() && isValidBucketName(e.name)).map((e) => e.name);
    const dated = await Promise.all(
      buckets.map(async (name) => ({ name, creationDate: (await stat(join(this.root, name))).birthtime })),
    );
    return dated.sort((a, b) => compareKeys(a.name, b.name));
  }

  /** Whether a bucket exists, synchronously: the edge asks this to route a request without X-Amz-Target. */
  isBucket(bucket: string): boolean {
    return (
      isValidBucketName(bucket) &&
      (statSync(join(this.root, bucket), { throwIfNoEntry: false })?.isDirectory() ?? false)
    );
  }

  async hasBucket(bucket: string): Promise<boolean> {
    if (!isValidBucketName(bucket)) return false;
    return (await statOrUndefined(join(this.root, bucket)))?.isDirectory() ?? false;
  }

  /** CreateBucket; a bucket that exists is S3's BucketAlreadyOwnedByYou (local mode owns them all). */
  async createBucket(bucket: string): Promise<void> {
    assertBucketName(bucket);
    if (await this.hasBucket(bucket)) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        { bucketName: bucket },
      );
    }
    await mkdir(join(this.root, bucket), { recursive: true });
  }

  async putObject(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options: PutOptions = {},
  ): Promise<StoredObject> {
    const file = await this.objectPath(bucket, key);
    await this.assertWritable(bucket, key, file, options);
    const tmp = join(this.root, TMP_DIR, randomUUID());
    try {
      const written = await writeBody(
        typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body,
        tmp,
      );
      verifyDigests(bucket, key, written, options);
      const sidecar: Sidecar = {
        etag: written.md5.toString('hex'),
        size: written.size,
        lastModified: Date.now(),
        metadata: { contentType: DEFAULT_CONTENT_TYPE, userMetadata: {}, ...options.metadata },
      };
      await this.commit(tmp, file, this.sidecarPath(bucket, key), sidecar);
      return { bucket, key, ...sidecar, lastModified: new Date(sidecar.lastModified) };
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.meta`, { force: true });
    }
  }

  async headObject(bucket: string, key: string): Promise<StoredObject> {
    const file = await this.objectPath(bucket, key);
    const stats = await statOrUndefined(file);
    if (stats === undefined || !stats.isFile()) throw noSuchKey(bucket, key);
    const sidecar = await this.readSidecar(bucket, key);
    if (sidecar !== undefined && sidecar.size === stats.size) {
      return { bucket, key, ...sidecar, lastModified: new Date(sidecar.lastModified) };
    }
    const metadata: ObjectMetadata = { contentType: DEFAULT_CONTENT_TYPE, userMetadata: {} };
    return { bucket, key, size: stats.size, etag: await md5OfFile(file), lastModified: stats.mtime, metadata };
  }

  /** The object and a stream of its bytes (or of `range` of them). */
  async getObject(bucket: string, key: string, range?: ByteRange): Promise<{ object: StoredObject; body: Readable }> {
    const object = await this.headObject(bucket, key);
    const file = await this.objectPath(bucket, key);
    return { object, body: createReadStream(file, range ?? {}) };
  }

  /** The whole object, for callers inside local mode (the build runner, the CLI, tests). */
  async readObject(bucket: string, key: string): Promise<Buffer> {
    await this.headObject(bucket, key);
    return readFile(await this.objectPath(bucket, key));
  }

  /** DeleteObject: as on S3, deleting a key that is not there succeeds. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const file = await this.objectPath(bucket, key);
    const sidecar = this.sidecarPath(bucket, key);
    if (!(await statOrUndefined(file))?.isFile()) return;
    if (this.locked.has(bucket)) throw objectLocked(bucket, key);
    await rm(file, { force: true });
    await rm(sidecar, { force: true });
    await pruneEmptyDirs(dirname(file), join(this.root, bucket));
    await pruneEmptyDirs(dirname(sidecar), join(this.root, META_DIR, bucket));
  }

  async listObjects(bucket: string, params: ListParams = {}): Promise<ObjectListing> {
    await this.assertBucket(bucket);
    const page = listPage((await this.keysUnder(bucket, params.prefix ?? '')).sort(compareKeys), params);
    const objects = await Promise.all(page.keys.map((key) => this.headObject(bucket, key)));
    return {
      commonPrefixes: page.commonPrefixes,
      isTruncated: page.isTruncated,
      ...(page.nextContinuationToken === undefined ? {} : { nextContinuationToken: page.nextContinuationToken }),
      objects,
    };
  }

  /** Every key in the folder the prefix names (a prefix with a segment no key can have matches nothing). */
  private async keysUnder(bucket: string, prefix: string): Promise<string[]> {
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (folder === '') return walkFiles(join(this.root, bucket));
    const segments = folder.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) return [];
    return (await walkFiles(join(this.root, bucket, ...segments))).map((k) => `${folder}/${k}`);
  }

  private async assertBucket(bucket: string): Promise<void> {
    if (!(await this.hasBucket(bucket))) throw noSuchBucket(bucket);
  }

  /** The object's file; refuses a key that would not map onto a file faithfully. */
  private async objectPath(bucket: string, key: string): Promise<string> {
    await this.assertBucket(bucket);
    return join(this.root, bucket, ...keySegments(bucket, key));
  }

  private sidecarPath(bucket: string, key: string): string {
    return join(this.root, META_DIR, bucket, ...keySegments(bucket, key));
  }

  private async readSidecar(bucket: string, key: string): Promise<Sidecar | undefined> {
    try {
      return parseSidecar(await readFile(this.sidecarPath(bucket, key), 'utf8'));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Refuses a key whose file would clash with a folder of other keys (`a` beside `a/b`), and honours If-None-Match. */
  private async assertWritable(bucket: string, key: string, file: string, options: PutOptions): Promise<void> {
    const bucketDir = join(this.root, bucket);
    const segments = keySegments(bucket, key);
    for (let i = 1; i < segments.length; i += 1) {
      if ((await statOrUndefined(join(bucketDir, ...segments.slice(0, i))))?.isFile()) throw clash(bucket, key);
    }
    const existing = await statOrUndefined(file);
    if (existing?.isDirectory()) throw clash(bucket, key);
    if (options.ifNoneMatch === '*' && existing !== undefined) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        bucketName: bucket,
        key,
      });
    }
    if (existing !== undefined && this.locked.has(bucket)) throw objectLocked(bucket, key);
  }

  private async commit(tmp: string, file: string, sidecarFile: string, sidecar: Sidecar): Promise<void> {
    await writeFile(`${tmp}.meta`, JSON.stringify(sidecar), { mode: 0o600 });
    await mkdir(dirname(file), { recursive: true });
    await mkdir(dirname(sidecarFile), { recursive: true });
    await rename(tmp, file);
    await rename(`${tmp}.meta`, sidecarFile);
  }
}

function verifyDigests(bucket: string, key: string, written: { md5: Buffer; crc32: number }, options: PutOptions) {
  if (options.contentMd5 !== undefined && options.contentMd5 !== written.md5.toString('base64')) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      bucketName: bucket,
      key,
    });
  }
  const expected = options.checksumCrc32?.();
  if (expected !== undefined) {
    const received = Buffer.alloc(4);
    received.writeUInt32BE(written.crc32);
    if (received.toString('base64') !== expected) {
      throw new S3Error('BadDigest', 'The CRC32 you specified did not match the calculated checksum.', {
        bucketName: bucket,
        key,
      });
    }
  }
}

function clash(bucket: string, key: string): S3Error {
  return new S3Error(
    'NotImplemented',
    `The local S3 emulator stores objects as files and cannot hold "${key}" beside a key that uses it as a folder (or inside a key that is a file)`,
    { bucketName: bucket, key },
  );
}

function objectLocked(bucket: string, key: string): S3Error {
  return new S3Error('AccessDenied', 'Access Denied: the object is protected by Object Lock (compliance mode)', {
    bucketName: bucket,
    key,
  });
}
