import { fork } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../../infra/paths';
import { buildKey, cachedBuild, type FolderSnapshot } from '../build-cache.mjs';
import { DEFAULT_CACHE_DIR } from '../template/synth-cache';

/** One function's worker script and the module it imports. */
export interface HandlerModule {
  /** The worker loop: a plain ES module once bundled, else the tsx bootstrap. */
  readonly script: URL;
  readonly entry: string;
  /** The cached build's folder, when bundled: what a process running from it marks in use (`keepInUse`). */
  readonly build?: string;
}

export interface HandlerBundleOptions {
  /** @default DEFAULT_CACHE_DIR */
  readonly cacheDir?: string;
}

/** Bumped when the bundles' shape or options change. */
const FORMAT = 'gantry-handlers-v4';
const WORKER_SOURCE = new URL('./worker.ts', import.meta.url).pathname;
const TSX_BOOTSTRAP = new URL('./worker-entry.mjs', import.meta.url);
const BUNDLE_PROCESS = new URL('./bundle-process.mjs', import.meta.url);
/** How the bundles are built is part of their key (and package.json's "sideEffects", which decides what they drop). */
const BUILD_SCRIPTS = [
  fileURLToPath(import.meta.url),
  fileURLToPath(BUNDLE_PROCESS),
  fileURLToPath(new URL('../build-cache.mjs', import.meta.url)),
];

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
    const key = buildKey(FORMAT, PROJECT_ROOT, unique, ['tsconfig.json', 'package.json', ...BUILD_SCRIPTS]);
    const cacheDir = join(options.cacheDir ?? DEFAULT_CACHE_DIR, `handlers-${key}`);
    const { dir, outputs } = await cachedBuild(cacheDir, FORMAT, PROJECT_ROOT, (outdir) => bundle(unique, outdir));
    const script = new URL(`file://${join(dir, outputs[WORKER_SOURCE] ?? '')}`);
    return new Map(unique.map((entry) => [entry, { script, entry: join(dir, outputs[entry] ?? ''), build: dir }]));
  } catch (error) {
    // As the gantry command says why it runs from source: a syntax error, a cache folder another user owns, …
    if (process.env.GANTRY_DEBUG) {
      process.stderr.write(
        `gantry: handlers load from source: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
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

/** Builds every entry and the worker loop in one esbuild run into `outdir`, in a process of its own (./bundle-process.mjs). */
async function bundle(entries: readonly string[], outdir: string) {
  const names = [WORKER_SOURCE, ...entries].map((entry, i) => [entry, `m${i}`] as const);
  const options: BuildOptions = {
    entryPoints: names.map(([entry, out]) => ({ in: entry, out })),
    absWorkingDir: PROJECT_ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // What the handlers share (the AWS SDK, zod, shared/) is written once, as chunks they import,
    // not into each of 19 bundles: a first start writes 3 MB rather than 29 and bundles in half the time.
    splitting: true,
    target: `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    // Some dependencies still call require(): the ES module bundle gets one, as Lambda's does.
    banner: {
      js: "import{createRequire as __gantryRequire}from'module';const require=__gantryRequire(import.meta.url);",
    },
    keepNames: true,
  };
  const built = await buildInChild(options);
  const outputs = Object.fromEntries(names.map(([entry, out]) => [entry, `${out}.mjs`]));
  return { metafile: built.metafile, outputs, read: built.read, folders: built.folders };
}

interface BuildResult {
  readonly metafile: Metafile;
  readonly read: Record<string, string>;
  readonly folders: Record<string, FolderSnapshot>;
}

function buildInChild(options: BuildOptions): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(BUNDLE_PROCESS), [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.once('message', (message: ({ ok: true } & BuildResult) | { ok: false; message: string }) => {
      settled = true;
      if (message.ok) resolve(message);
      else reject(new Error(message.message));
    });
    child.once('error', (error) => {
      settled = true;
      reject(error);
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`the bundling process exited (${signal ?? code}) before it answered`));
    });
    child.send({ projectRoot: PROJECT_ROOT, options });
  });
}
