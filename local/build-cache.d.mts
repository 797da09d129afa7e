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

/** A folder as the recorder saw it before the build: its real path and the names in it. */
export interface FolderSnapshot {
  readonly real: string;
  readonly names: readonly string[];
}

/**
 * An esbuild plugin; the digest of each source file it gave esbuild, by absolute path; and each
 * folder a relative import could resolve in, as it was before the build.
 */
export function sourceRecorder(
  projectRoot: string,
  prefix?: (path: string) => string,
): { plugin: Plugin; read: Record<string, string>; folders: Record<string, FolderSnapshot> };

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
    folders?: Record<string, FolderSnapshot>;
  }>,
): Promise<CachedBuild>;

/** Marks the build in `dir` in use by this process (a marker naming it, renewed every few minutes), so that no other process prunes it; returns what stops that and takes the marker away. */
export function keepInUse(dir: string): () => void;
