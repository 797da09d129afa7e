/** An entry to write: its name, its metadata as read, and its compressed bytes as they were. */
export interface RawZipEntry {
  readonly name: string;
  readonly madeBy: number;
  readonly method: number;
  readonly time: number;
  readonly date: number;
  readonly crc: number;
  readonly size: number;
  readonly external: number;
  readonly data: Buffer;
}

const UTF8_NAMES = 0x0800;
const VERSION_NEEDED = 20;

/**
 * A ZIP of entries whose compressed bytes are copied as they are (no recompression, so the
 * snapshot of one archive is always the same bytes): sizes in the local headers, UTF-8 names,
 * each entry's times, Unix mode and CRC kept. No ZIP64: the limits keep snapshots well below it.
 */
export function writeZip(entries: readonly RawZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeCommon(local, 4, entry, name.length);
    parts.push(local, name, entry.data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(entry.madeBy, 4);
    writeCommon(central, 6, entry, name.length);
    central.writeUInt32LE(entry.external >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** The fields local and central headers share, from `at` (version needed … extra length). */
function writeCommon(b: Buffer, at: number, entry: RawZipEntry, nameLength: number): void {
  b.writeUInt16LE(VERSION_NEEDED, at);
  b.writeUInt16LE(UTF8_NAMES, at + 2);
  b.writeUInt16LE(entry.method, at + 4);
  b.writeUInt16LE(entry.time, at + 6);
  b.writeUInt16LE(entry.date, at + 8);
  b.writeUInt32LE(entry.crc >>> 0, at + 10);
  b.writeUInt32LE(entry.data.length, at + 14);
  b.writeUInt32LE(entry.size, at + 18);
  b.writeUInt16LE(nameLength, at + 22);
  b.writeUInt16LE(0, at + 24);
}
