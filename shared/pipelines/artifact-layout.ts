import type { BuildTrust } from '../../events';

/** The tag a build project carries with its trust, for people reading the console and for local mode. */
export const TRUST_TAG = 'gantry:trust';

/**
 * Where builds write in the artifacts bucket, by trust. Release (trusted) builds and untrusted
 * builds (pull requests) write under disjoint prefixes, so one role's grant can never reach the
 * other's objects; provenance is written only by Gantry, under its own prefix.
 */
const TRUST_PREFIX: Readonly<Record<BuildTrust, string>> = { trusted: 'releases', untrusted: 'untrusted' };

/** The prefix a pipeline's builds of this trust write under (CodeBuild adds `/<build id>/<name>/`). */
export function buildArtifactsPath(pipeline: string, trust: BuildTrust): string {
  return `${TRUST_PREFIX[trust]}/${pipeline}`;
}

/** Where Gantry keeps the signed provenance of one build; builds have no write access here. */
export function provenanceKey(pipeline: string, buildId: string): string {
  return `provenance/${pipeline}/${buildId.replace(/[^A-Za-z0-9._-]/g, '_')}.dsse.json`;
}

/** The prefix of every provenance document of a pipeline. */
export function provenancePrefix(pipeline: string): string {
  return `provenance/${pipeline}/`;
}

/**
 * Where Gantry keeps the source snapshots a pipeline's builds run from. Only the fetch-source
 * step writes here; the pipeline's build projects may only read.
 */
export function sourcesPath(pipeline: string): string {
  return `sources/${pipeline}`;
}

/** One snapshot: named by its commit and its digest, so a key always holds the same bytes. */
export function sourceSnapshotKey(pipeline: string, commit: string, sha256: string): string {
  return `${sourcesPath(pipeline)}/${commit}/${sha256}.zip`;
}
