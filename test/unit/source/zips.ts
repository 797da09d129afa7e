import { crc32, deflateRawSync } from 'node:zlib';
import { writeZip } from '../../../shared/source/zip-write';

/** One entry of a test archive: a file (mode 0644 unless given), a directory (name ends with /) or a symlink. */
export interface TestEntry {
  readonly name: string;
  readonly content?: string | Buffer;
  readonly mode?: number;
  readonly symlink?: string;
  /** A lie the header tells about the entry's uncompressed size (a zip bomb's). */
  readonly declaredSize?: number;
  /** The host and version the archiver says it was (default Unix); Unix modes are recorded whatever it says. */
  readonly madeBy?: number;
  /** The whole Unix mode, type bits included (a device node, a setuid file). */
  readonly rawMode?: number;
}

const UNIX = 0x031e;

/** A ZIP as providers and `git archive` make them: deflated, with Unix modes. */
export function zipOf(entries: readonly TestEntry[]): Buffer {
  return writeZip(
    entries.map((e) => {
      const bytes = Buffer.from(e.symlink ?? e.content ?? '');
      const type =
        e.rawMode ??
        (e.symlink !== undefined ? 0o120777 : e.name.endsWith('/') ? 0o040755 : 0o100000 | (e.mode ?? 0o644));
      return {
        name: e.name,
        madeBy: e.madeBy ?? UNIX,
        method: 8,
        time: 0,
        date: (1 << 5) | 1,
        crc: crc32(bytes),
        size: e.declaredSize ?? bytes.length,
        external: (type << 16) >>> 0,
        data: deflateRawSync(bytes),
      };
    }),
  );
}
