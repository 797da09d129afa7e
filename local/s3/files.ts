import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { copyFile, link, readdir, rmdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';

/** What writing a body to a file measured on the way. */
export interface WrittenBody {
  readonly size: number;
  readonly md5: Buffer;
  readonly crc32: number;
  /** Hex, for a signed `x-amz-content-sha256`. */
  readonly sha256: string;
}

/** Streams `body` into `file`, hashing it as it goes (ETag, Content-MD5, CRC32 and signed SHA-256 checks). */
export async function writeBody(body: Readable, file: string): Promise<WrittenBody> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  let checksum = 0;
  body.on('data', (chunk: Buffer) => {
    md5.update(chunk);
    sha256.update(chunk);
    checksum = crc32(chunk, checksum);
    size += chunk.length;
  });
  await pipeline(body, createWriteStream(file, { mode: 0o600 }));
  return { size, md5: md5.digest(), crc32: checksum, sha256: sha256.digest('hex') };
}

/** The MD5 of a file already on disk (an object put there by hand has no sidecar). */
export async function md5OfFile(file: string): Promise<string> {
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file)) md5.update(chunk as Buffer);
  return md5.digest('hex');
}

/** The file's stats, or undefined when nothing (or a path through a file) is there. */
export async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** ENOENT, or ENOTDIR (a path that runs through a file): both mean "no such object". */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Every file under `root`, as `/`-joined paths relative to it. */
export async function walkFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await visit(join(dir, entry.name), path);
      else if (entry.isFile()) found.push(path);
    }
  };
  await visit(root, '');
  return found;
}

/** Removes the now-empty folders from `dir` up to (not including) `root`. */
export async function pruneEmptyDirs(dir: string, root: string): Promise<void> {
  let current = dir;
  while (current.startsWith(root + sep) && current !== root) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = current.slice(0, current.lastIndexOf(sep));
  }
}

/** A hard link where the filesystem has them (a version kept without copying its bytes); a copy where not. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EXDEV' && code !== 'ENOTSUP') throw error;
    await copyFile(from, to);
  }
}
