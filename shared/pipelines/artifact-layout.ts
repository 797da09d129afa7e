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
