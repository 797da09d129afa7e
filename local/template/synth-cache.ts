import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { GantryConfig } from '../../infra/config/schema';
import { PROJECT_ROOT } from '../../infra/paths';
import { cacheRoot } from '../build-cache.mjs';
import type { StackTemplate } from './types';

/**
 * What a synthesized template can depend on besides the config: the CDK app's sources and what
 * they import (events, shared constants, the handlers' folders), the sample service the sample
 * stack packages as an asset, and the installed packages (aws-cdk-lib's version).
 */
const SOURCE_DIRS = ['infra', 'events', 'shared', 'functions', join('examples', 'sample-service')];
const LOCK_FILES = [join('node_modules', '.package-lock.json'), 'package-lock.json', 'package.json', 'tsconfig.json'];
/** Bumped when what is cached changes shape. */
const FORMAT = 'gantry-synth-v1';
/** Entries kept: each is one config at one state of the sources (about 250 KB). */
const KEEP = 24;

export { CACHE_DIR_ENV } from '../build-cache.mjs';

/** Where start-up caches live unless told otherwise (GANTRY_CACHE_DIR). */
export const DEFAULT_CACHE_DIR = cacheRoot(PROJECT_ROOT);

export interface TemplateCacheOptions {
  /** @default DEFAULT_CACHE_DIR; false synthesizes every time */
  readonly cacheDir?: string | false;
  /** The project whose sources key the cache. @default PROJECT_ROOT */
  readonly projectRoot?: string;
}

/**
 * The app's templates for `config`: read from the cache when the config, the app's sources and
 * the installed packages are byte for byte those of a previous synthesis, else synthesized (the
 * CDK app is only imported then: loading aws-cdk-lib alone takes seconds) and stored.
 */
export async function cachedTemplates(
  config: GantryConfig,
  options: TemplateCacheOptions = {},
): Promise<StackTemplate[]> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const synth = async () => (await import('./synth')).synthTemplates(config);
  if (cacheDir === false) return synth();
  const file = join(cacheDir, `synth-${templateKey(config, options.projectRoot ?? PROJECT_ROOT)}.json`);
  const cached = readCached(file);
  if (cached !== undefined) return cached;
  const templates = await synth();
  writeCached(cacheDir, file, templates);
  return templates;
}

/** A digest of everything a synthesis reads: the config, the CDK_* environment, the sources, the lock files. */
export function templateKey(config: GantryConfig, projectRoot: string): string {
  const hash = createHash('sha256');
  const field = (name: string, value: string | Buffer) => {
    hash.update(`${name}\0${Buffer.byteLength(value)}\0`);
    hash.update(value);
  };
  field('format', FORMAT);
  field('config', JSON.stringify(config));
  const cdkEnv = Object.entries(process.env).filter(([k]) => k.startsWith('CDK_'));
  field('env', JSON.stringify(cdkEnv.sort(([a], [b]) => a.localeCompare(b))));
  for (const name of LOCK_FILES) {
    const path = join(projectRoot, name);
    field(name, existsSync(path) ? readFileSync(path) : '');
  }
  for (const dir of SOURCE_DIRS) {
    for (const path of filesUnder(join(projectRoot, dir))) field(relative(projectRoot, path), readFileSync(path));
  }
  return hash.digest('hex').slice(0, 32);
}

/** Every file under `dir`, in a stable order, skipping installed packages. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function readCached(file: string): StackTemplate[] | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown; templates?: unknown };
    return parsed.format === FORMAT && Array.isArray(parsed.templates)
      ? (parsed.templates as StackTemplate[])
      : undefined;
  } catch {
    return undefined; // absent, or half-written by a process that died: synthesize
  }
}

/** Written whole under a temporary name, then renamed: a concurrent reader sees all of it or nothing. */
function writeCached(cacheDir: string, file: string, templates: StackTemplate[]): void {
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(partial, JSON.stringify({ format: FORMAT, templates }), { mode: 0o600 });
    renameSync(partial, file);
    prune(cacheDir);
  } catch {
    // A cache that cannot be written (read-only install) costs time, not correctness.
  }
}

/** Keeps the most recently written entries. */
function prune(cacheDir: string): void {
  const entries = readdirSync(cacheDir)
    .filter((n) => n.startsWith('synth-') && n.endsWith('.json'))
    .map((n) => ({ path: join(cacheDir, n), at: statSync(join(cacheDir, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of entries.slice(KEEP)) rmSync(old.path, { force: true });
}
