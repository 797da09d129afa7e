import type { BuildTrust } from '../../events';

/** The tag a build project carries with its trust, for people reading the console and for local mode. */
export const TRUST_TAG = 'gantry:trust';

/** The tag a build project carries with its class (BUILD_CLASSES). */
export const CLASS_TAG = 'gantry:build-class';

/**
 * Where builds write in the artifacts bucket, by trust. Release (trusted) builds and untrusted
 * builds (pull requests) write under disjoint prefixes, so one role's grant can never reach the
 * other's objects; provenance is written only by Gantry, under its own prefix.
 */
const TRUST_PREFIX: Readonly<Record<BuildTrust, string>> = { trusted: 'releases', untrusted: 'untrusted' };

/**
 * The prefix under which every build of this trust of a pipeline writes, whatever its class
 * (readers' grants: what Deploy, the gates and target accounts may read).
 */
export function buildArtifactsPath(pipeline: string, trust: BuildTrust): string {
  return `${TRUST_PREFIX[trust]}/${pipeline}`;
}

/**
 * The keys of one artifact of every build of one trusted class of a pipeline
 * (`<class>/<build id>/artifacts/<path>`): what a target account reads to release an environment's
 * Lambda package, and nothing else the builds upload, nor another class's builds.
 */
export function releasePackageKeys(pipeline: string, cls: 'gated' | 'ungated', artifactPath: string): string {
  return `${buildClassPath(pipeline, cls)}/*/artifacts/${artifactPath.replace(/^\/+/, '')}`;
}

/**
 * A pipeline's build projects, each with its own role and its own prefix to write under:
 * `gated` builds the refs that deploy to an environment whose releases wait for approval;
 * `ungated` every other ref a push or tag trigger names; `untrusted` pull requests. So a push to
 * a branch nobody reviews (a preview, develop) cannot write where a build of what goes to an
 * approved environment writes.
 */
export const BUILD_CLASSES = ['gated', 'ungated', 'untrusted'] as const;
export type BuildClass = (typeof BUILD_CLASSES)[number];

/** The trust a class of builds runs with (and states in its provenance). */
export function trustOfClass(cls: BuildClass): BuildTrust {
  return cls === 'untrusted' ? 'untrusted' : 'trusted';
}

/** Which project a planned build runs in: by its trust, and whether its environment waits for approval. */
export function buildClassOf(plan: {
  readonly build: { readonly trust: BuildTrust };
  readonly approval: unknown;
}): BuildClass {
  if (plan.build.trust === 'untrusted') return 'untrusted';
  return plan.approval === null ? 'ungated' : 'gated';
}

/**
 * The prefix one class's project writes under (CodeBuild adds `/<build id>/<name>/`): disjoint
 * for each class, the trusted ones side by side under their trust's prefix.
 */
export function buildClassPath(pipeline: string, cls: BuildClass): string {
  return cls === 'untrusted'
    ? buildArtifactsPath(pipeline, 'untrusted')
    : `${buildArtifactsPath(pipeline, 'trusted')}/${cls}`;
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
