import type { Metafile, Plugin } from 'esbuild';

export const CACHE_DIR_ENV: 'GANTRY_CACHE_DIR';

export function cacheRoot(projectRoot: string): string;
export function buildKey(
  format: string,
  projectRoot: string,
  parts: readonly string[],
  files?: readonly string[],
): string;
export function isSource(projectRoot: string, path: string): boolean;

/**
 * An esbuild plugin; the digest of each source file it gave esbuild, by absolute path; and the
 * digest of the names in each folder a relative import could resolve in, listed before it did.
 */
export function sourceRecorder(
  projectRoot: string,
  prefix?: (path: string) => string,
): { plugin: Plugin; read: Record<string, string>; folders: Record<string, string> };

/** A cached build: its folder, and the outputs recorded for it (relative to that folder). */
export interface CachedBuild {
  readonly dir: string;
  readonly outputs: Record<string, string>;
}

export function currentBuild(dir: string, format: string): CachedBuild | undefined;
export function cachedBuild(
  dir: string,
  format: string,
  projectRoot: string,
  build: (outdir: string) => Promise<{
    metafile: Metafile;
    outputs: Record<string, string>;
    read?: Record<string, string>;
    folders?: Record<string, string>;
  }>,
): Promise<CachedBuild>;

/** Marks the build in `dir` in use now and every few minutes while this process runs, so that no other process prunes it; returns what stops that. */
export function keepInUse(dir: string): () => void;
