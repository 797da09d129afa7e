import { ArchiveRefusedError } from './errors';

/** One entry of a ZIP archive's central directory, with where its (compressed) data lies. */
export interface ZipEntry {
  readonly name: string;
  readonly madeBy: number;
  readonly method: number;
  readonly time: number;
  readonly date: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly external: number;
  /** Offset of the entry's compressed bytes in the archive. */
  readonly dataOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;

/** Stored and deflated entries: what providers' archives and `git archive` use. */
export const SUPPORTED_METHODS: ReadonlySet<number> = new Set([0, 8]);

function endOfDirectory(zip: Buffer): number {
  const earliest = Math.max(0, zip.length - EOCD_SIZE - 0xffff);
  for (let at = zip.length - EOCD_SIZE; at >= earliest; at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw new ArchiveRefusedError('the archive is not a ZIP file (no end of central directory)');
}

/**
 * The central directory of `zip`, each entry checked to lie within the archive. ZIP64,
 * multi-disk and encrypted archives are refused: no provider's archive of a repository within
 * Gantry's limits needs them.
 */
export function readCentralDirectory(zip: Buffer, maxEntries: number): ZipEntry[] {
  const eocd = endOfDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const offset = zip.readUInt32LE(eocd + 16);
  if (eocd >= 20 && zip.readUInt32LE(eocd - 20) === ZIP64_LOCATOR)
    throw new ArchiveRefusedError('the archive is a ZIP64 archive, larger than Gantry builds from');
  if (zip.readUInt16LE(eocd + 4) !== 0 || zip.readUInt16LE(eocd + 6) !== 0 || count !== zip.readUInt16LE(eocd + 8))
    throw new ArchiveRefusedError('the archive spans several disks');
  if (count > maxEntries) throw new ArchiveRefusedError(`the archive holds ${count} entries, more than ${maxEntries}`);
  if (offset + size > eocd) throw new ArchiveRefusedError('the archive’s central directory lies outside it');
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const entry = centralEntry(zip, at, offset);
    entries.push(entry.entry);
    at = entry.next;
  }
  return entries;
}

function centralEntry(zip: Buffer, at: number, directory: number): { entry: ZipEntry; next: number } {
  if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL)
    throw new ArchiveRefusedError('the archive’s central directory is corrupt');
  const flags = zip.readUInt16LE(at + 8);
  const nameLength = zip.readUInt16LE(at + 28);
  const next = at + 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
  if ((flags & 1) !== 0) throw new ArchiveRefusedError(`entry ${name} is encrypted`);
  const method = zip.readUInt16LE(at + 10);
  if (!SUPPORTED_METHODS.has(method))
    throw new ArchiveRefusedError(`entry ${name} uses compression method ${method} (only stored and deflate)`);
  const compressedSize = zip.readUInt32LE(at + 20);
  const localOffset = zip.readUInt32LE(at + 42);
  return {
    entry: {
      name,
      madeBy: zip.readUInt16LE(at + 4),
      method,
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      crc: zip.readUInt32LE(at + 16),
      compressedSize,
      size: zip.readUInt32LE(at + 24),
      external: zip.readUInt32LE(at + 38),
      dataOffset: dataOffsetOf(zip, localOffset, compressedSize, directory, name),
    },
    next,
  };
}

function dataOffsetOf(zip: Buffer, local: number, compressedSize: number, directory: number, name: string): number {
  if (local + 30 > directory || zip.readUInt32LE(local) !== LOCAL)
    throw new ArchiveRefusedError(`entry ${name} has no local header where the directory says`);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  if (start + compressedSize > directory) throw new ArchiveRefusedError(`entry ${name} runs past the archive’s data`);
  return start;
}

/**
 * The Unix mode (type and permission bits) an entry carries in its external attributes, whatever
 * host the archiver says it ran on: some record Unix modes under another host id (macOS, BeOS),
 * and extractors honour them. 0 when the archiver recorded none (DOS attributes live below).
 */
export function unixMode(entry: Pick<ZipEntry, 'madeBy' | 'external'>): number {
  return entry.external >>> 16;
}

export function isSymlink(entry: Pick<ZipEntry, 'madeBy' | 'external'>): boolean {
  return (unixMode(entry) & 0o170000) === 0o120000;
}

export function isDirectory(entry: Pick<ZipEntry, 'name'>): boolean {
  return entry.name.endsWith('/');
}
