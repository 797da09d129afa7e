import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** A deployment package that cannot be used: Lambda's InvalidParameterValueException. */
export class InvalidPackageError extends Error {
  override readonly name = 'InvalidPackageError';
}

/** Folders an asset's hash leaves out: installed or generated, not the service's code. */
const NOT_CODE = new Set(['node_modules', '.git', 'dist', 'coverage', 'reports']);

/** Lambda's CodeSha256 (base64 SHA-256) of a package's bytes. */
export function sha256Base64(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

/** A stand-in CodeSha256 for an asset folder: its files' paths and bytes, in order; with their total size. */
export function folderDigest(dir: string): { codeSha256: string; codeSize: number } {
  const hash = createHash('sha256');
  let codeSize = 0;
  for (const file of walk(dir, dir)) {
    const bytes = readFileSync(join(dir, file));
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
    codeSize += bytes.length;
  }
  return { codeSha256: hash.digest('base64'), codeSize };
}

function walk(root: string, dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return NOT_CODE.has(entry.name) ? [] : walk(root, path);
      return entry.isFile() ? [relative(root, path)] : [];
    });
}

/**
 * Extracts a ZIP archive (stored or deflated entries, no ZIP64) into `target`, which must not
 * exist: entries are written into a sibling folder first and renamed into place, and an entry
 * that would land outside the folder (`../`, an absolute name) refuses the whole package.
 */
export function extractZip(zip: Buffer, target: string): void {
  const entries = centralDirectory(zip);
  const staging = `${target}.partial`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const entry of entries) {
      const path = resolve(staging, entry.name);
      if (!path.startsWith(`${resolve(staging)}${sep}`))
        throw new InvalidPackageError(`entry ${entry.name} leaves the package`);
      if (entry.name.endsWith('/')) {
        mkdirSync(path, { recursive: true });
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, contentOf(zip, entry), { mode: entry.mode & 0o777 || 0o644 });
    }
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(staging, { recursive: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly localOffset: number;
  readonly mode: number;
}

function centralDirectory(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0 || end + 22 > zip.length) throw new InvalidPackageError('the package is not a ZIP archive');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50)
      throw new InvalidPackageError('a damaged ZIP directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      localOffset: zip.readUInt32LE(at + 42),
      mode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

function contentOf(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localOffset;
  if (zip.readUInt32LE(at) !== 0x04034b50) throw new InvalidPackageError(`a damaged ZIP entry ${entry.name}`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new InvalidPackageError(
    `entry ${entry.name} uses ZIP method ${entry.method}; only stored and deflated are read`,
  );
}

/** The file Lambda's Node.js runtime loads for a handler module (`src/lambda` → `src/lambda.js`, `.mjs` or `.cjs`). */
export function handlerFile(codeDir: string, handlerModule: string): string | undefined {
  return ['.js', '.mjs', '.cjs']
    .map((ext) => join(codeDir, `${handlerModule}${ext}`))
    .find((file) => statSync(file, { throwIfNoEntry: false })?.isFile() === true);
}
