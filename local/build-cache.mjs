// Builds cached beside the installed packages and reused while every source file they read is
// byte for byte the same: the handler bundles local mode runs (./lambda/bundles.ts) and the
// gantry command's own (../cli/bundle.mjs). Plain JavaScript, so the command can use it before
// any TypeScript loader is registered.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

/** Names another folder for the caches (a benchmark's cold start empties its own). */
export const CACHE_DIR_ENV = 'GANTRY_CACHE_DIR';

const LOCK_FILES = [join('node_modules', '.package-lock.json'), 'package-lock.json'];

/** Where the caches live unless told otherwise: beside the installed packages, as other tools keep theirs. */
export function cacheRoot(projectRoot) {
  return process.env[CACHE_DIR_ENV] || join(projectRoot, 'node_modules', '.cache', 'gantry');
}

/** A build's key: its format, this Node.js's major (the syntax target), `parts`, and the installed packages. */
export function buildKey(format, projectRoot, parts) {
  const hash = createHash('sha256').update(`${format}\0${process.versions.node.split('.')[0]}\0`);
  for (const part of parts) hash.update(`${part}\0`);
  for (const name of LOCK_FILES) {
    const path = join(projectRoot, name);
    hash.update(existsSync(path) ? readFileSync(path) : '').update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

function digest(path) {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

function readManifest(dir, format) {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    return parsed.format === format ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The build in `dir`, when it is one of `format` and every source it read is unchanged. */
export function currentBuild(dir, format) {
  const manifest = readManifest(dir, format);
  if (manifest === undefined) return undefined;
  return Object.entries(manifest.inputs).every(([path, sha]) => digest(path) === sha) ? manifest : undefined;
}

/**
 * The outputs of the build in `dir`: the current one, or a new one that `build` writes into a
 * fresh folder (resolving with esbuild's metafile and the outputs to record), which then replaces
 * `dir`. Every input outside node_modules is recorded by its digest; the lock files in the key
 * stand for the packages.
 */
export async function cachedBuild(dir, format, projectRoot, build) {
  const existing = currentBuild(dir, format);
  if (existing !== undefined) return existing.outputs;
  const partial = `${dir}.${process.pid}.${Date.now()}.tmp`;
  try {
    const { metafile, outputs } = await build(partial);
    const inputs = {};
    for (const input of Object.keys(metafile.inputs)) {
      const path = isAbsolute(input) ? input : join(projectRoot, input);
      if (relative(projectRoot, path).split(/[\\/]/).includes('node_modules')) continue;
      const sha = digest(path);
      if (sha !== undefined) inputs[path] = sha;
    }
    writeFileSync(join(partial, 'manifest.json'), JSON.stringify({ format, inputs, outputs }));
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  // Another process (a parallel test file) may have built the same meanwhile and be loading
  // from it: keep theirs. Only a stale folder is moved away.
  const theirs = currentBuild(dir, format);
  if (theirs !== undefined) {
    rmSync(partial, { recursive: true, force: true });
    return theirs.outputs;
  }
  if (existsSync(dir)) {
    const stale = `${dir}.${process.pid}.${Date.now()}.stale`;
    renameSync(dir, stale);
    rmSync(stale, { recursive: true, force: true });
  }
  try {
    renameSync(partial, dir);
  } catch (error) {
    const winner = currentBuild(dir, format);
    rmSync(partial, { recursive: true, force: true });
    if (winner === undefined) throw error;
    return winner.outputs;
  }
  return readManifest(dir, format).outputs;
}
