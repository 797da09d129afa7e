import { crc32, deflateRawSync } from 'node:zlib';

/** One file to put in an archive: its name inside the archive and its bytes. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

const DOS_EPOCH_DATE = (1 << 5) | 1; // 1980-01-01: builds are reproducible regardless of when they ran

/**
 * A ZIP archive (deflate, no ZIP64) of the given entries: what CodeBuild uploads for
 * `packaging: ZIP`. Written whole in memory, which suits the artifacts of one local build.
 */
export function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = deflateRawSync(entry.data);
    const fields = { crc: crc32(entry.data), compressed: compressed.length, size: entry.data.length, name };
    const local = Buffer.concat([header(0x04034b50, fields), name, compressed]);
    centrals.push(Buffer.concat([central(fields, offset), name]));
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, end(entries.length, directory.length, offset)]);
}

interface Fields {
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly name: Buffer;
}

function header(signature: number, f: Fields): Buffer {
  const b = Buffer.alloc(30);
  b.writeUInt32LE(signature, 0);
  b.writeUInt16LE(20, 4); // version needed
  b.writeUInt16LE(0x0800, 6); // UTF-8 names
  b.writeUInt16LE(8, 8); // deflate
  b.writeUInt16LE(0, 10);
  b.writeUInt16LE(DOS_EPOCH_DATE, 12);
  b.writeUInt32LE(f.crc, 14);
  b.writeUInt32LE(f.compressed, 18);
  b.writeUInt32LE(f.size, 22);
  b.writeUInt16LE(f.name.length, 26);
  b.writeUInt16LE(0, 28);
  return b;
}

function central(f: Fields, offset: number): Buffer {
  const b = Buffer.alloc(46);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
  header(0, f).copy(b, 6, 4, 30);
  b.writeUInt16LE(0, 32); // comment length
  b.writeUInt16LE(0, 34); // disk
  b.writeUInt16LE(0, 36); // internal attributes
  b.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
  b.writeUInt32LE(offset, 42);
  return b;
}

function end(count: number, size: number, offset: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(size, 12);
  b.writeUInt32LE(offset, 16);
  return b;
}
