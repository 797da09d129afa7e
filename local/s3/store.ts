import { randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { deleteMarkerVersion, invalidVersionId, noSuchBucket, noSuchKey, noSuchVersion, S3Error } from './errors';
import {
  isMissing,
  linkOrCopy,
  md5OfFile,
  pruneEmptyDirs,
  statOrUndefined,
  type WrittenBody,
  walkFiles,
  writeBody,
} from './files';
import { compareKeys, type ListPage, type ListParams, listPage } from './list';
import { DEFAULT_CONTENT_TYPE, type ObjectMetadata, parseSidecar, type Sidecar, type StoredObject } from './metadata';
import { assertBucketName, isValidBucketName, keySegments } from './names';
import {
  afterVersionMarker,
  NULL_VERSION,
  newVersionId,
  type ObjectVersionRecord,
  objectOfRecord,
  sidecarOfRecord,
  VersionArchive,
  type VersionEntry,
  type VersionListing,
  type VersionListParams,
  versionPage,
} from './versions';

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
  /**
   * Buckets with versioning enabled (`VersioningConfiguration: { Status: Enabled }`): each write
   * makes a new version and keeps the older ones readable by id, in a `.versions` tree. A bucket
   * that is also locked keeps the locked behaviour.
   */
  readonly versionedBuckets?: readonly string[];
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
  /**
   * `x-amz-content-sha256` when it is a digest (hex): the request's signature covers that header,
   * not the body, so the body must hash to it. A mismatch is S3's XAmzContentSHA256Mismatch.
   */
  readonly contentSha256?: string;
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

/** What GetObject reads: the current version unless `versionId` names another, all of it unless `range`. */
export interface ReadOptions {
  readonly range?: ByteRange;
  readonly versionId?: string;
}

/** What DeleteObject did, as S3 reports it in `x-amz-version-id` and `x-amz-delete-marker`. */
export interface DeleteResult {
  /** The delete marker made, or the version removed; undefined on a bucket without versioning. */
  readonly versionId?: string;
  /** True when a delete marker was made, or the version removed was one. */
  readonly deleteMarker?: boolean;
}

/** Where a version's bytes are, and how it is described. */
interface Located {
  readonly object: StoredObject;
  readonly file: string;
}

const META_DIR = '.meta';
const TMP_DIR = '.tmp';
const VERSIONS_DIR = '.versions';

/**
 * A filesystem-backed S3 subset for local mode: what the HTTP emulator serves and what the
 * local build runner writes artifacts through. Writes land in a temporary file and are renamed
 * into place, so a reader never sees half an object.
 */
export class S3Store {
  private readonly root: string;

  private readonly locked: ReadonlySet<string>;

  private readonly versioned: ReadonlySet<string>;

  private readonly archive: VersionArchive;

  /** The write in progress per versioned key: versioned writes of one key run one at a time. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(options: S3StoreOptions) {
    this.root = options.dataDir;
    this.locked = new Set(options.lockedBuckets ?? []);
    this.versioned = new Set(options.versionedBuckets ?? []);
    this.archive = new VersionArchive(join(this.root, VERSIONS_DIR), join(this.root, TMP_DIR));
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

  /**
   * Whether writes to the bucket make versions: versioning enabled, as Object Lock requires. On a
   * locked bucket, as on S3, a put adds a version and a delete adds a marker (both hide the old
   * version from a plain read, neither removes it); only removing a version is refused.
   */
  isVersioned(bucket: string): boolean {
    return this.versioned.has(bucket) || this.locked.has(bucket);
  }

  /** PutObject; on a versioned bucket the object gets a fresh `versionId` and the one it replaces is archived. */
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
      if (!this.isVersioned(bucket)) {
        await this.commit(tmp, file, this.sidecarPath(bucket, key), sidecar);
        return { bucket, key, ...sidecar, lastModified: new Date(sidecar.lastModified) };
      }
      return await this.serially(bucket, key, () => this.commitVersion(bucket, key, tmp, sidecar));
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.meta`, { force: true });
    }
  }

  /** The current object, or the version `versionId` names (`NoSuchVersion` when there is none). */
  async headObject(bucket: string, key: string, versionId?: string): Promise<StoredObject> {
    return (await this.locate(bucket, key, versionId)).object;
  }

  /** The object (or the version `versionId` names) and a stream of its bytes, or of `range` of them. */
  async getObject(
    bucket: string,
    key: string,
    options: ReadOptions = {},
  ): Promise<{ object: StoredObject; body: Readable }> {
    const { object, file } = await this.locate(bucket, key, options.versionId);
    return { object, body: createReadStream(file, options.range ?? {}) };
  }

  /** The whole object (or version), for callers inside local mode (the build runner, the CLI, tests). */
  async readObject(bucket: string, key: string, versionId?: string): Promise<Buffer> {
    return readFile((await this.locate(bucket, key, versionId)).file);
  }

  /**
   * DeleteObject. Without versioning, as on S3, deleting a key that is not there succeeds. On a
   * versioned bucket, without `versionId` it adds a delete marker (older versions stay readable
   * by id); with one it removes that version, and the newest remaining one becomes current.
   */
  async deleteObject(bucket: string, key: string, versionId?: string): Promise<DeleteResult> {
    const file = await this.objectPath(bucket, key);
    if (this.isVersioned(bucket)) {
      return this.serially(bucket, key, () =>
        versionId === undefined ? this.addDeleteMarker(bucket, key) : this.deleteVersion(bucket, key, versionId),
      );
    }
    if (versionId !== undefined && versionId !== NULL_VERSION) throw invalidVersionId(bucket, key, versionId);
    if (!(await statOrUndefined(file))?.isFile()) return {};
    if (this.locked.has(bucket)) throw objectLocked(bucket, key);
    await this.removeCurrent(bucket, key);
    return {};
  }

  /**
   * ListObjectVersions: every version and delete marker under the prefix, key by key, newest
   * first. A bucket without versioning lists each object once, as S3's `null` version.
   */
  async listObjectVersions(bucket: string, params: VersionListParams = {}): Promise<VersionListing> {
    await this.assertBucket(bucket);
    const prefix = params.prefix ?? '';
    const maxKeys = params.maxKeys ?? 1000;
    const entries: VersionEntry[] = [];
    for (const key of await this.keysWithVersions(bucket, prefix)) {
      if (entries.length > maxKeys) break;
      if (params.keyMarker !== undefined && compareKeys(key, params.keyMarker) < 0) continue;
      const versions = await this.versionsOf(bucket, key);
      entries.push(...(key === params.keyMarker ? afterVersionMarker(versions, params.versionIdMarker) : versions));
    }
    return versionPage(entries, maxKeys);
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

  /** Every key under the prefix with a current object or an archived version, in S3's order. */
  private async keysWithVersions(bucket: string, prefix: string): Promise<string[]> {
    const archived = this.isVersioned(bucket) ? await this.archive.keysUnder(bucket, prefix) : [];
    const keys = new Set([...(await this.keysUnder(bucket, prefix)), ...archived]);
    return [...keys].filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  /** A key's versions and delete markers for ListObjectVersions, newest (the current object, if any) first. */
  private async versionsOf(bucket: string, key: string): Promise<VersionEntry[]> {
    const current = await this.current(bucket, key);
    const archived = this.isVersioned(bucket) ? await this.archive.records(bucket, key) : [];
    const entries: VersionEntry[] = archived.map((r) => ({
      key,
      versionId: r.versionId,
      isLatest: false,
      lastModified: new Date(r.lastModified),
      ...(r.deleteMarker === true ? {} : { object: objectOfRecord(bucket, key, r) }),
    }));
    if (current !== undefined) {
      const versionId = current.versionId ?? NULL_VERSION;
      entries.unshift({ key, versionId, isLatest: false, lastModified: current.lastModified, object: current });
    }
    return entries.map((e, i) => (i === 0 ? { ...e, isLatest: true } : e));
  }

  /**
   * Where a read finds its bytes: the current object without `versionId` (or with `null` on a
   * bucket without versioning); on a versioned bucket, the current object when it is that
   * version, else the archive's copy.
   */
  private async locate(bucket: string, key: string, versionId: string | undefined): Promise<Located> {
    const file = await this.objectPath(bucket, key);
    const current = await this.current(bucket, key);
    if (versionId === undefined || (!this.isVersioned(bucket) && versionId === NULL_VERSION)) {
      if (current === undefined) throw noSuchKey(bucket, key);
      return { object: current, file };
    }
    if (!this.isVersioned(bucket)) throw invalidVersionId(bucket, key, versionId);
    if (current?.versionId === versionId) return { object: current, file };
    const record = await this.archive.record(bucket, key, versionId);
    if (record === undefined) throw noSuchVersion(bucket, key, versionId);
    if (record.deleteMarker === true) throw deleteMarkerVersion(bucket, key, versionId);
    return { object: objectOfRecord(bucket, key, record), file: this.archive.dataPath(bucket, key, versionId) };
  }

  /** The current object, or undefined when the key has none (never put, deleted, or behind a delete marker). */
  private async current(bucket: string, key: string): Promise<StoredObject | undefined> {
    const file = await this.objectPath(bucket, key);
    const stats = await statOrUndefined(file);
    if (stats === undefined || !stats.isFile()) return undefined;
    const versioning = this.isVersioned(bucket);
    const sidecar = await this.readSidecar(bucket, key);
    if (sidecar !== undefined && sidecar.size === stats.size) {
      const versionId = versioning ? { versionId: sidecar.versionId ?? NULL_VERSION } : {};
      return { bucket, key, ...sidecar, lastModified: new Date(sidecar.lastModified), ...versionId };
    }
    const metadata: ObjectMetadata = { contentType: DEFAULT_CONTENT_TYPE, userMetadata: {} };
    const etag = await md5OfFile(file);
    const versionId = versioning ? { versionId: NULL_VERSION } : {};
    return { bucket, key, size: stats.size, etag, lastModified: stats.mtime, metadata, ...versionId };
  }

  /** Puts a written body (`tmp`) as the key's new current version, archiving the version it replaces. */
  private async commitVersion(bucket: string, key: string, tmp: string, sidecar: Sidecar): Promise<StoredObject> {
    const versioned: Sidecar = { ...sidecar, versionId: newVersionId() };
    await this.archiveCurrent(bucket, key);
    await this.commit(tmp, await this.objectPath(bucket, key), this.sidecarPath(bucket, key), versioned);
    return { bucket, key, ...versioned, lastModified: new Date(versioned.lastModified) };
  }

  /** Copies the current object (if any) into the archive; it stays current until replaced or removed. */
  private async archiveCurrent(bucket: string, key: string): Promise<void> {
    const current = await this.current(bucket, key);
    if (current === undefined) return;
    const record: ObjectVersionRecord = {
      etag: current.etag,
      size: current.size,
      lastModified: current.lastModified.getTime(),
      metadata: current.metadata,
      versionId: current.versionId ?? NULL_VERSION,
    };
    await this.archive.keep(bucket, key, record, await this.objectPath(bucket, key));
  }

  private async addDeleteMarker(bucket: string, key: string): Promise<DeleteResult> {
    const versionId = newVersionId();
    await this.archiveCurrent(bucket, key);
    await this.archive.keep(bucket, key, { versionId, lastModified: Date.now(), deleteMarker: true });
    await this.removeCurrent(bucket, key);
    return { versionId, deleteMarker: true };
  }

  private async deleteVersion(bucket: string, key: string, versionId: string): Promise<DeleteResult> {
    // Compliance mode: no version is removed before its retention ends (local mode keeps them all).
    if (this.locked.has(bucket)) throw objectLocked(bucket, key);
    const current = await this.current(bucket, key);
    if (current?.versionId === versionId) {
      if (!(await this.promoteNewest(bucket, key))) await this.removeCurrent(bucket, key);
      return { versionId };
    }
    const record = await this.archive.record(bucket, key, versionId);
    if (record !== undefined) await this.archive.remove(bucket, key, versionId);
    if (current === undefined) await this.promoteNewest(bucket, key);
    return { versionId, ...(record?.deleteMarker === true ? { deleteMarker: true } : {}) };
  }

  /**
   * Makes the newest archived version current again when it is an object version (S3 does so
   * when the versions above it are deleted), replacing the current file in one rename. One that
   * would clash with a folder of other keys stays archived: the file tree cannot hold it.
   * Whether a version was promoted.
   */
  private async promoteNewest(bucket: string, key: string): Promise<boolean> {
    const [newest] = await this.archive.records(bucket, key);
    if (newest === undefined || newest.deleteMarker === true) return false;
    const file = await this.objectPath(bucket, key);
    if (await this.clashes(bucket, key, file)) return false;
    const tmp = join(this.root, TMP_DIR, randomUUID());
    try {
      await linkOrCopy(this.archive.dataPath(bucket, key, newest.versionId), tmp);
      await this.commit(tmp, file, this.sidecarPath(bucket, key), sidecarOfRecord(newest));
      await this.archive.remove(bucket, key, newest.versionId);
      return true;
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.meta`, { force: true });
    }
  }

  /** Removes the current object and its sidecar, and the folders they leave empty. */
  private async removeCurrent(bucket: string, key: string): Promise<void> {
    const file = await this.objectPath(bucket, key);
    const sidecar = this.sidecarPath(bucket, key);
    await rm(file, { force: true });
    await rm(sidecar, { force: true });
    await pruneEmptyDirs(dirname(file), join(this.root, bucket));
    await pruneEmptyDirs(dirname(sidecar), join(this.root, META_DIR, bucket));
  }

  /** Runs `write` after any versioned write of the same key still running, so no version is lost between two. */
  private async serially<T>(bucket: string, key: string, write: () => Promise<T>): Promise<T> {
    const id = `${bucket}/${key}`;
    const before = this.writing.get(id) ?? Promise.resolve();
    const run = before.then(write, write);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.writing.get(id) === settled) this.writing.delete(id);
    }
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
    if (await this.clashes(bucket, key, file)) throw clash(bucket, key);
    const existing = await statOrUndefined(file);
    if (options.ifNoneMatch === '*' && existing !== undefined) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        bucketName: bucket,
        key,
      });
    }
  }

  /** Whether the key's file would be a folder of other keys, or lie inside a key that is a file. */
  private async clashes(bucket: string, key: string, file: string): Promise<boolean> {
    const bucketDir = join(this.root, bucket);
    const segments = keySegments(bucket, key);
    for (let i = 1; i < segments.length; i += 1) {
      if ((await statOrUndefined(join(bucketDir, ...segments.slice(0, i))))?.isFile()) return true;
    }
    return (await statOrUndefined(file))?.isDirectory() ?? false;
  }

  private async commit(tmp: string, file: string, sidecarFile: string, sidecar: Sidecar): Promise<void> {
    await writeFile(`${tmp}.meta`, JSON.stringify(sidecar), { mode: 0o600 });
    await mkdir(dirname(file), { recursive: true });
    await mkdir(dirname(sidecarFile), { recursive: true });
    await rename(tmp, file);
    await rename(`${tmp}.meta`, sidecarFile);
  }
}

function verifyDigests(bucket: string, key: string, written: WrittenBody, options: PutOptions) {
  if (options.contentSha256 !== undefined && options.contentSha256.toLowerCase() !== written.sha256) {
    throw new S3Error(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      {
        bucketName: bucket,
        key,
      },
    );
  }
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
