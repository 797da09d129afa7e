import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import { DEFAULT_CACHE_DIR } from '../template/synth-cache';

/** One function's worker script and the module it imports. */
export interface HandlerModule {
  /** The worker loop: a plain ES module once bundled, else the tsx bootstrap. */
  readonly script: URL;
  readonly entry: string;
}

export interface HandlerBundleOptions {
  /** @default DEFAULT_CACHE_DIR */
  readonly cacheDir?: string;
}

/** Bumped when the bundles' shape or options change. */
const FORMAT = 'gantry-handlers-v1';
const WORKER_SOURCE = new URL('./worker.ts', import.meta.url).pathname;
const TSX_BOOTSTRAP = new URL('./worker-entry.mjs', import.meta.url);
const LOCK_FILES = [join('node_modules', '.package-lock.json'), 'package-lock.json'];

interface Manifest {
  readonly format: string;
  /** Every source file a bundle read outside node_modules (the lock files stand for those), by its digest. */
  readonly inputs: Record<string, string>;
  readonly outputs: Record<string, string>;
}

/**
 * Each handler bundled with its dependencies (the AWS SDK included) into one ES module, as Lambda
 * loads a bundle rather than a tree of TypeScript files: a worker that imports one file starts in
 * a third of the CPU time that transpiling and resolving hundreds of files takes, 17 times over.
 * Bundles are cached under a key of the entries, the Node.js major and the lock files, and reused
 * while every source file they read is byte for byte the same. A handler esbuild cannot bundle
 * (a syntax error) makes every handler load from source as before, where the error is reported as
 * that function's init error.
 */
export async function handlerModules(
  entries: readonly string[],
  options: HandlerBundleOptions = {},
): Promise<Map<string, HandlerModule>> {
  const unique = [...new Set(entries)].sort();
  if (unique.length === 0) return new Map();
  try {
    const dir = join(options.cacheDir ?? DEFAULT_CACHE_DIR, `handlers-${bundleKey(unique)}`);
    const outputs = current(dir)?.outputs ?? (await bundle(unique, dir));
    const script = new URL(`file://${join(dir, outputs[WORKER_SOURCE] ?? '')}`);
    return new Map(unique.map((entry) => [entry, { script, entry: join(dir, outputs[entry] ?? '') }]));
  } catch {
    return new Map(unique.map((entry) => [entry, fromSource(entry)]));
  }
}

/**
 * Every handler under `functions/`: what local mode may run, known before the templates are, so
 * that bundling them can overlap synthesizing the app on a first start.
 */
export function projectHandlerEntries(root = PROJECT_ROOT): string[] {
  const dir = join(root, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => join(dir, name, 'handler.ts'))
    .filter((entry) => existsSync(entry));
}

/** A handler loaded from its TypeScript source through tsx, as before bundling. */
export function fromSource(entry: string): HandlerModule {
  return { script: TSX_BOOTSTRAP, entry };
}

/** Which bundles: the entries, this Node.js's major (the syntax target), and the installed packages. */
function bundleKey(entries: readonly string[]): string {
  const hash = createHash('sha256').update(`${FORMAT}\0${process.versions.node.split('.')[0]}\0`);
  for (const entry of entries) hash.update(`${entry}\0`);
  for (const name of LOCK_FILES) {
    const path = join(PROJECT_ROOT, name);
    hash.update(existsSync(path) ? readFileSync(path) : '').update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

function digest(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

function readManifest(dir: string): Manifest | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return parsed.format === FORMAT ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The folder's manifest, when every source its bundles read is unchanged. */
function current(dir: string): Manifest | undefined {
  const manifest = readManifest(dir);
  if (manifest === undefined) return undefined;
  return Object.entries(manifest.inputs).every(([path, sha]) => digest(path) === sha) ? manifest : undefined;
}

/** Builds every entry and the worker loop in one esbuild run, into a new folder renamed over `dir`. */
async function bundle(entries: readonly string[], dir: string): Promise<Record<string, string>> {
  const { build } = await import('esbuild');
  const partial = `${dir}.${process.pid}.${Date.now()}.tmp`;
  const names = [WORKER_SOURCE, ...entries].map((entry, i) => [entry, `m${i}`] as const);
  const cwd = PROJECT_ROOT;
  const { metafile } = await build({
    entryPoints: names.map(([entry, out]) => ({ in: entry, out })),
    absWorkingDir: cwd,
    outdir: partial,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    // Some dependencies still call require(): the ES module bundle gets one, as Lambda's does.
    banner: {
      js: "import{createRequire as __gantryRequire}from'module';const require=__gantryRequire(import.meta.url);",
    },
    keepNames: true,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(metafile.inputs)) {
    const path = isAbsolute(input) ? input : join(cwd, input);
    if (relative(cwd, path).split(/[\\/]/).includes('node_modules')) continue;
    const sha = digest(path);
    if (sha !== undefined) inputs[path] = sha;
  }
  const outputs = Object.fromEntries(names.map(([entry, out]) => [entry, `${out}.mjs`]));
  const manifest: Manifest = { format: FORMAT, inputs, outputs };
  writeFileSync(join(partial, 'manifest.json'), JSON.stringify(manifest));
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  // Another process (a parallel test file) may have built the same bundles meanwhile and be
  // starting workers from them: keep theirs. Only a stale folder is moved away.
  const theirs = current(dir);
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
    const winner = current(dir);
    rmSync(partial, { recursive: true, force: true });
    if (winner === undefined) throw error;
    return winner.outputs;
  }
  return outputs;
}
