import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { isMissing, linkOrCopy, pruneEmptyDirs, walkFiles } from './files';
import { parseSidecar, type Sidecar, type StoredObject } from './metadata';
import { keySegments } from './names';

/** A version that is not (or no longer) the current object: an older object version, or a delete marker. */
export type VersionRecord = ObjectVersionRecord | DeleteMarkerRecord;

/** An older object version: its sidecar, with the version id it was put as. */
export type ObjectVersionRecord = Sidecar & { readonly versionId: string; readonly deleteMarker?: false };

/** What DeleteObject without a version id leaves on a versioned bucket: the key reads as absent. */
export interface DeleteMarkerRecord {
  readonly versionId: string;
  readonly lastModified: number;
  readonly deleteMarker: true;
}

/** One entry of ListObjectVersions: an object version (with `object`) or a delete marker (without). */
export interface VersionEntry {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly lastModified: Date;
  /** The version's description; undefined for a delete marker. */
  readonly object?: StoredObject;
}

/** ListObjectVersions' filtering and paging parameters. */
export interface VersionListParams {
  readonly prefix?: string;
  /** @default 1000 (S3 never returns more in one page) */
  readonly maxKeys?: number;
  readonly keyMarker?: string;
  readonly versionIdMarker?: string;
}

/** A page of ListObjectVersions: versions and delete markers, key by key, newest first within a key. */
export interface VersionListing {
  readonly entries: readonly VersionEntry[];
  readonly isTruncated: boolean;
  readonly nextKeyMarker?: string;
  readonly nextVersionIdMarker?: string;
}

/** The version id S3 gives an object put while the bucket had no versioning. */
export const NULL_VERSION = 'null';

const RECORD_SUFFIX = '.json';
const PAGE_LIMIT = 1000;
const nextUlid = monotonicFactory();

/**
 * A fresh version id. Opaque to callers, as S3's are; a monotonic ULID underneath, so ids sort
 * in the order the versions were made, which is how the archive tells newer from older.
 */
export function newVersionId(): string {
  return nextUlid();
}

/** Whether `id` can name a file in the archive: anything else cannot be a version local mode made. */
export function isSafeVersionId(id: string): boolean {
  return /^[0-9A-Za-z]{1,64}$/.test(id);
}

/** Newest first: ULIDs by value, and S3's `null` version (made before versioning) last. */
export function newestFirst(a: VersionRecord, b: VersionRecord): number {
  const order = (r: VersionRecord) => (r.versionId === NULL_VERSION ? '' : r.versionId);
  return order(a) < order(b) ? 1 : order(a) > order(b) ? -1 : 0;
}

/** An object version's record as HeadObject and listings describe it. */
export function objectOfRecord(bucket: string, key: string, record: ObjectVersionRecord): StoredObject {
  return { bucket, key, ...sidecarOfRecord(record), lastModified: new Date(record.lastModified) };
}

/** An object version's record as the sidecar it had (and has again when it becomes current). */
export function sidecarOfRecord(record: ObjectVersionRecord): Sidecar {
  const { etag, size, lastModified, metadata, versionId } = record;
  return { etag, size, lastModified, metadata, versionId };
}

/**
 * The versions of a versioned bucket that are not current, in a tree beside the objects:
 * `<dir>/<bucket>/<key>/<versionId>` holds an old version's bytes (a hard link to the file the
 * object had, so archiving copies nothing) and `<versionId>.json` its sidecar, or a delete
 * marker's record without bytes. A record is written after its bytes and removed before them,
 * each through a temporary file and a rename, so a reader never finds a record without bytes.
 */
export class VersionArchive {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  /** The file holding an archived version's bytes. */
  dataPath(bucket: string, key: string, versionId: string): string {
    return join(this.folder(bucket, key), versionId);
  }

  /** The key's archived versions and delete markers, newest first. */
  async records(bucket: string, key: string): Promise<VersionRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.folder(bucket, key));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const ids = names.filter((n) => n.endsWith(RECORD_SUFFIX)).map((n) => n.slice(0, -RECORD_SUFFIX.length));
    const records = await Promise.all(ids.filter(isSafeVersionId).map((id) => this.record(bucket, key, id)));
    return records.filter((r): r is VersionRecord => r !== undefined).sort(newestFirst);
  }

  /** One archived version or delete marker, or undefined when the archive does not hold it. */
  async record(bucket: string, key: string, versionId: string): Promise<VersionRecord | undefined> {
    if (!isSafeVersionId(versionId)) return undefined;
    try {
      return parseRecord(await readFile(this.recordPath(bucket, key, versionId), 'utf8'), versionId);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Archives a version: `dataFile` (the current object's file, linked, not moved) then its record. */
  async keep(bucket: string, key: string, record: VersionRecord, dataFile?: string): Promise<void> {
    await this.mkdirFor(bucket, key);
    if (dataFile !== undefined) {
      const tmp = this.tmp();
      await linkOrCopy(dataFile, tmp);
      await rename(tmp, this.dataPath(bucket, key, record.versionId));
    }
    const tmp = this.tmp();
    await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
    await rename(tmp, this.recordPath(bucket, key, record.versionId));
  }

  /** Removes an archived version (record first, then bytes) and the folders it leaves empty. */
  async remove(bucket: string, key: string, versionId: string): Promise<void> {
    if (!isSafeVersionId(versionId)) return;
    await rm(this.recordPath(bucket, key, versionId), { force: true });
    await rm(this.dataPath(bucket, key, versionId), { force: true });
    await pruneEmptyDirs(this.folder(bucket, key), join(this.dir, bucket));
  }

  /** Every key with archived versions in the folder the prefix names (the caller filters by prefix). */
  async keysUnder(bucket: string, prefix: string): Promise<string[]> {
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const segments = folder === '' ? [] : folder.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) return [];
    const files = await walkFiles(join(this.dir, bucket, ...segments));
    const keys = files
      .filter((f) => f.endsWith(RECORD_SUFFIX) && f.includes('/'))
      .map((f) => f.slice(0, f.lastIndexOf('/')))
      .map((k) => (folder === '' ? k : `${folder}/${k}`));
    return [...new Set(keys)];
  }

  private folder(bucket: string, key: string): string {
    return join(this.dir, bucket, ...keySegments(bucket, key));
  }

  private recordPath(bucket: string, key: string, versionId: string): string {
    return join(this.folder(bucket, key), `${versionId}${RECORD_SUFFIX}`);
  }

  private async mkdirFor(bucket: string, key: string): Promise<void> {
    await mkdir(this.folder(bucket, key), { recursive: true });
  }

  private tmp(): string {
    return join(this.tmpDir, randomUUID());
  }
}

/**
 * One page of ListObjectVersions over `entries` (every version of the keys from the marker on,
 * in S3's order, with at least one more than the page when there is more): the page, and the
 * markers of its last entry when it is truncated.
 */
export function versionPage(entries: readonly VersionEntry[], maxKeys: number): VersionListing {
  const limit = Math.min(maxKeys, PAGE_LIMIT);
  const page = entries.slice(0, limit);
  const last = page.at(-1);
  if (entries.length <= limit || last === undefined) return { entries: page, isTruncated: entries.length > limit };
  return { entries: page, isTruncated: true, nextKeyMarker: last.key, nextVersionIdMarker: last.versionId };
}

/**
 * The versions of the marker's key that come after the marker: none with KeyMarker alone (the
 * listing resumes at the next key), those after VersionIdMarker when it names one of them.
 */
export function afterVersionMarker(versions: readonly VersionEntry[], versionIdMarker?: string): VersionEntry[] {
  if (versionIdMarker === undefined) return [];
  const at = versions.findIndex((v) => v.versionId === versionIdMarker);
  return at < 0 ? [] : versions.slice(at + 1);
}

function parseRecord(text: string, versionId: string): VersionRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<DeleteMarkerRecord>;
    if (value.deleteMarker === true && typeof value.lastModified === 'number') {
      return { versionId, lastModified: value.lastModified, deleteMarker: true };
    }
  } catch {
    return undefined;
  }
  const sidecar = parseSidecar(text);
  return sidecar === undefined ? undefined : { ...sidecar, versionId, deleteMarker: false };
}
