import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { ArchiveRefusedError } from './errors';
import { type GitFile, GitTree, gitObjectId, type ObjectFormat } from './git-tree';
import { isDirectory, readCentralDirectory, unixMode, type ZipEntry } from './zip-read';
import { type RawZipEntry, writeZip } from './zip-write';

/** How much of an archive Gantry unpacks: bounds that stop a zip bomb before it costs memory. */
export interface ArchiveLimits {
  /** The archive as downloaded. */
  readonly maxArchiveBytes: number;
  readonly maxEntries: number;
  /** Every entry's bytes, uncompressed, together. */
  readonly maxUncompressedBytes: number;
}

/** 256 MiB downloaded, 50 000 entries, 1 GiB unpacked: a large repository, far from a Lambda's limits. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxArchiveBytes: 256 * 1024 * 1024,
  maxEntries: 50_000,
  maxUncompressedBytes: 1024 * 1024 * 1024,
};

/** An entry as the snapshot keeps it: its path from the repository root, checked. */
export interface CheckedEntry {
  readonly entry: ZipEntry;
  /** Relative to the repository root; directories end with `/`. */
  readonly path: string;
  /** A symlink's target (other entries' bytes are checked, then dropped: `entryContent` reads them again). */
  readonly target: string | undefined;
  /** The mode the snapshot gives it: 0o120777 for a link, 0o040755 a folder, 0o100755 or 0o100644 a file. */
  readonly mode: number;
  /** The git blob id of a file's bytes or a link's target; undefined for a folder. */
  readonly blob: string | undefined;
}

/** One entry as the snapshot writes it: its path, what git would store, and its ZIP entry. */
export interface SnapshotEntry {
  /** Relative to the repository root; directories end with `/`. */
  readonly path: string;
  /** A symlink's target, checked to lead inside the root. */
  readonly target: string | undefined;
  /** The file or link as git stores it; undefined for a folder. */
  readonly file: GitFile | undefined;
  readonly raw: RawZipEntry;
}

/** What was taken from the commit's blobs because the archive differed from the commit's tree. */
export interface Repaired {
  /** Paths whose committed bytes (or mode) replaced the archive's, or that the archive left out. */
  readonly taken: readonly string[];
  /** Paths the archive held that the commit does not. */
  readonly dropped: readonly string[];
}

/** A snapshot ready to store: the ZIP whose root is the repository root, and its digest. */
export interface Snapshot {
  readonly zip: Buffer;
  readonly sha256: string;
  readonly files: number;
  readonly bytes: number;
  /** The git tree its files make: equal to the commit's tree only when the archive is the commit's exact tree. */
  readonly tree: GitTree;
  /** Folders the archive holds with nothing in them (git has none: `git archive` writes a submodule so). */
  readonly emptyFolders: readonly string[];
  /** Its entries, in the order the ZIP holds them (their bytes still compressed). */
  readonly entries: readonly SnapshotEntry[];
  /** Set when files were taken from the commit's blobs (`rebuildSnapshot`). */
  readonly repaired?: Repaired;
}

/** Symlinks are followed at most this many times while checking where one leads (Linux's own bound). */
const MAX_LINK_HOPS = 40;

/**
 * Every entry of `archive` checked: names (no absolute path, no `..`, no backslash), contents
 * (sizes and CRCs as declared, within `limits`), symlinks (each leads inside the root, and no
 * entry lies beneath one). With `stripTopFolder`, the provider's single top-level folder is
 * removed so that paths start at the repository root.
 * @throws ArchiveRefusedError saying which entry and why
 */
export function checkArchive(
  archive: Buffer,
  stripTopFolder: boolean,
  limits: ArchiveLimits,
  format: ObjectFormat = 'sha1',
): CheckedEntry[] {
  if (archive.length > limits.maxArchiveBytes)
    throw new ArchiveRefusedError(`the archive is ${archive.length} bytes, more than ${limits.maxArchiveBytes}`);
  const entries = readCentralDirectory(archive, limits.maxEntries);
  const prefix = stripTopFolder ? topFolder(entries) : '';
  const checked: CheckedEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const path = entry.name.slice(prefix.length);
    if (path === '') continue;
    checkPath(path);
    const key = path.replace(/\/$/, '');
    if (seen.has(key)) throw new ArchiveRefusedError(`entry ${path} appears twice`);
    seen.add(key);
    total += entry.size;
    if (total > limits.maxUncompressedBytes)
      throw new ArchiveRefusedError(`the archive unpacks to more than ${limits.maxUncompressedBytes} bytes`);
    const mode = normalMode(entry, path);
    // Every entry is inflated and checked; only a link's target is kept (memory stays one entry deep).
    const content = entryContent(archive, entry, path);
    checked.push({
      entry,
      path,
      mode,
      target: mode === LINK ? content.toString('utf8') : undefined,
      blob: isDirectory(entry) ? undefined : gitObjectId('blob', content, format),
    });
  }
  checkLinks(checked);
  checkNesting(checked);
  return checked;
}

/**
 * Repacks a provider's archive as a snapshot whose root is the repository root, hashes it, and
 * computes the git tree its files make (ids in `format`, the commit's).
 */
export function repackArchive(
  archive: Buffer,
  stripTopFolder: boolean,
  limits = DEFAULT_ARCHIVE_LIMITS,
  format: ObjectFormat = 'sha1',
): Snapshot {
  const checked = checkArchive(archive, stripTopFolder, limits, format);
  const entries = checked.map(({ entry, path, mode, target, blob }) => ({
    path,
    target,
    file: blob === undefined ? undefined : gitFile(path, mode, blob),
    raw: {
      ...entry,
      name: path,
      // Written as made on Unix with the normal mode: no setuid, device or host-specific bits survive.
      madeBy: UNIX_MADE_BY,
      external: (mode << 16) >>> 0,
      data: archive.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize),
    },
  }));
  return assemble(entries, format, undefined);
}

/** A committed file to put in a snapshot: where, its mode and blob id, and its bytes (checked to hash to the id). */
export interface CommittedFile {
  readonly file: GitFile;
  readonly bytes: Buffer;
}

/**
 * The snapshot with `taken` files written as committed (replacing the archive's entry at that
 * path, or added where the archive left it out) and every entry at or beneath a `dropped` path
 * removed; folders left with nothing in them go too (git has none). Links and nesting are checked
 * again, as for an archive.
 * @throws ArchiveRefusedError when a committed link leads out of the repository
 */
export function rebuildSnapshot(
  snapshot: Snapshot,
  taken: readonly CommittedFile[],
  dropped: readonly string[],
  format: ObjectFormat,
): Snapshot {
  const replaced = new Set([...taken.map((t) => t.file.path), ...dropped]);
  const gone = (path: string) => {
    const segments = path.replace(/\/$/, '').split('/');
    return segments.some((_, n) => replaced.has(segments.slice(0, n + 1).join('/')));
  };
  const kept = snapshot.entries.filter((e) => !gone(e.path));
  const entries = [...kept, ...taken.map(committedEntry)];
  const filled = new Set(entries.filter((e) => e.file !== undefined).flatMap((e) => foldersOf(e.path)));
  const written = entries.filter((e) => e.file !== undefined || filled.has(e.path.slice(0, -1)));
  checkLinks(written.map((e) => ({ path: e.path, target: e.target })));
  checkNesting(written.map((e) => ({ path: e.path, blob: e.file?.id })));
  return assemble(written, format, { taken: taken.map((t) => t.file.path), dropped });
}

/** A committed file as a snapshot entry: deflated, with a fixed time (the snapshot of one repair is always the same bytes). */
function committedEntry({ file, bytes }: CommittedFile): SnapshotEntry {
  const mode = file.mode === '120000' ? LINK : file.mode === '100755' ? 0o100755 : 0o100644;
  return {
    path: file.path,
    target: mode === LINK ? bytes.toString('utf8') : undefined,
    file,
    raw: {
      name: file.path,
      madeBy: UNIX_MADE_BY,
      method: 8,
      time: 0,
      date: DOS_EPOCH,
      crc: crc32(bytes),
      size: bytes.length,
      external: (mode << 16) >>> 0,
      data: deflateRawSync(bytes),
    },
  };
}

/** The bytes of a snapshot entry (its ZIP data inflated). */
export function snapshotContent(entry: SnapshotEntry): Buffer {
  return entry.raw.method === 0 ? entry.raw.data : inflateRawSync(entry.raw.data);
}

function assemble(entries: readonly SnapshotEntry[], format: ObjectFormat, repaired: Repaired | undefined): Snapshot {
  const zip = writeZip(entries.map((e) => e.raw));
  const files = entries.flatMap((e) => (e.file === undefined ? [] : [e.file]));
  return {
    zip,
    sha256: createHash('sha256').update(zip).digest('hex'),
    files: files.length,
    bytes: entries.reduce((sum, e) => sum + e.raw.size, 0),
    tree: new GitTree(files, format),
    emptyFolders: emptyFolders(entries),
    entries,
    ...(repaired === undefined ? {} : { repaired }),
  };
}

/** The folders a path lies in (`a`, `a/b` for `a/b/c`). */
function foldersOf(path: string): string[] {
  const segments = path.replace(/\/$/, '').split('/');
  return segments.slice(0, -1).map((_, n) => segments.slice(0, n + 1).join('/'));
}

/** A checked file or link as git stores it (a folder is not stored: its files are). */
function gitFile(path: string, mode: number, blob: string): GitFile {
  return { path, mode: mode === LINK ? '120000' : mode === 0o100755 ? '100755' : '100644', id: blob };
}

function emptyFolders(entries: readonly SnapshotEntry[]): string[] {
  const filled = new Set(entries.flatMap((e) => foldersOf(e.path)));
  return entries.flatMap((e) =>
    e.file === undefined && !filled.has(e.path.slice(0, -1)) ? [e.path.slice(0, -1)] : [],
  );
}

/** The one folder every entry lies in, with its slash. */
function topFolder(entries: readonly ZipEntry[]): string {
  const first = entries[0]?.name.split('/', 1)[0] ?? '';
  const prefix = `${first}/`;
  if (first === '' || entries.some((e) => !e.name.startsWith(prefix) && e.name !== first))
    throw new ArchiveRefusedError('the archive does not hold exactly one top-level folder, as the provider’s do');
  return prefix;
}

function checkPath(path: string): void {
  if (path.includes('\0') || path.includes('\\'))
    throw new ArchiveRefusedError(`entry ${JSON.stringify(path)} has a backslash or NUL in its name`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    throw new ArchiveRefusedError(`entry ${path} has an absolute path`);
  const segments = path.replace(/\/$/, '').split('/');
  if (segments.includes('..')) throw new ArchiveRefusedError(`entry ${path} leads out of the repository (..)`);
  if (segments.some((s) => s === '' || s === '.'))
    throw new ArchiveRefusedError(`entry ${path} has an empty or . segment`);
}

const LINK = 0o120777;
/** 1980-01-01, the first day a ZIP can date. */
const DOS_EPOCH = (0 << 9) | (1 << 5) | 1;
/** Version 2.0, made on Unix (host 3). */
const UNIX_MADE_BY = (3 << 8) | 20;

/** What an entry is, as a normal mode; any other kind (device, FIFO, socket) is refused. */
function normalMode(entry: ZipEntry, path: string): number {
  const mode = unixMode(entry);
  const type = mode & 0o170000;
  if (type === 0o120000) {
    if (path.endsWith('/')) throw new ArchiveRefusedError(`symlink ${path} is named as a folder`);
    return LINK;
  }
  if (isDirectory(entry) || type === 0o040000) {
    if (!isDirectory(entry)) throw new ArchiveRefusedError(`folder ${path} is named as a file`);
    return 0o040755;
  }
  if (type !== 0 && type !== 0o100000)
    throw new ArchiveRefusedError(`entry ${path} is neither a file, a folder nor a link`);
  return mode & 0o111 ? 0o100755 : 0o100644;
}

/** The entry's bytes, inflated no further than its declared size, checked against its size and CRC. */
export function entryContent(archive: Buffer, entry: ZipEntry, path: string): Buffer {
  const raw = archive.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let content: Buffer;
  try {
    content = entry.method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
  } catch {
    throw new ArchiveRefusedError(`entry ${path} does not inflate to its declared ${entry.size} bytes`);
  }
  if (content.length !== entry.size || crc32(content) !== entry.crc)
    throw new ArchiveRefusedError(`entry ${path} does not match its declared size and checksum`);
  return content;
}

/** Every symlink leads inside the root, following the archive's other links; nothing lies beneath a link. */
function checkLinks(entries: readonly Pick<CheckedEntry, 'path' | 'target'>[]): void {
  const links = new Map<string, string>();
  for (const e of entries) if (e.target !== undefined) links.set(e.path, e.target);
  if (links.size === 0) return;
  for (const [path, target] of links) {
    if (escapes(links, path, target))
      throw new ArchiveRefusedError(`symlink ${path} → ${target} leads out of the repository`);
  }
  for (const { path } of entries) {
    const segments = path.replace(/\/$/, '').split('/');
    for (let n = 1; n < segments.length; n++) {
      const parent = segments.slice(0, n).join('/');
      if (links.has(parent)) throw new ArchiveRefusedError(`entry ${path} lies beneath symlink ${parent}`);
    }
  }
}

/** Nothing lies beneath a file: an archive holding both `a` and `a/b` unpacks to one or the other. */
function checkNesting(entries: readonly Pick<CheckedEntry, 'path' | 'blob'>[]): void {
  const files = new Set(entries.filter((e) => e.blob !== undefined).map((e) => e.path));
  for (const { path } of entries) {
    const segments = path.replace(/\/$/, '').split('/');
    for (let n = 1; n < segments.length; n++) {
      const parent = segments.slice(0, n).join('/');
      if (files.has(parent)) throw new ArchiveRefusedError(`entry ${path} lies beneath file ${parent}`);
    }
  }
}

function escapes(links: ReadonlyMap<string, string>, path: string, target: string): boolean {
  if (target.startsWith('/') || target === '') return true;
  const resolved = path.split('/').slice(0, -1);
  let pending = target.split('/');
  for (let hops = 0; pending.length > 0; ) {
    const [segment = '', ...rest] = pending;
    pending = rest;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (resolved.pop() === undefined) return true;
      continue;
    }
    resolved.push(segment);
    const next = links.get(resolved.join('/'));
    if (next === undefined) continue;
    if (++hops > MAX_LINK_HOPS || next.startsWith('/')) return true;
    resolved.pop();
    pending = [...next.split('/'), ...pending];
  }
  return false;
}
