import type { Metafile } from 'esbuild';

export const CACHE_DIR_ENV: 'GANTRY_CACHE_DIR';

export function cacheRoot(projectRoot: string): string;
export function buildKey(format: string, projectRoot: string, parts: readonly string[]): string;

/** A build's manifest: the digest of every source it read, and what it wrote. */
export interface BuildManifest {
  readonly format: string;
  readonly inputs: Record<string, string>;
  readonly outputs: Record<string, string>;
}

export function currentBuild(dir: string, format: string): BuildManifest | undefined;
export function cachedBuild(
  dir: string,
  format: string,
  projectRoot: string,
  build: (outdir: string) => Promise<{ metafile: Metafile; outputs: Record<string, string> }>,
): Promise<Record<string, string>>;
