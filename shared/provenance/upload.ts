import type { BuildInfo, StoredVersion, VersionedObjects } from './ports';

/**
 * How far a version's LastModified may fall outside the build's UPLOAD_ARTIFACTS phase and still
 * be taken for CodeBuild's upload. S3 reports LastModified in whole seconds, truncated, so a
 * version written in the phase's first second reads up to 1 s before the phase began; the second
 * second covers the clocks of CodeBuild's build host and of S3 (both kept by Amazon Time Sync,
 * far closer than that). Each second added widens, by as much, the moment in which someone else
 * holding the project's role could add a key unnoticed.
 */
export const UPLOAD_CLOCK_TOLERANCE_MS = 2_000;

/** Most offending keys named in one refusal; the count says how many more there were. */
const MOST_NAMED = 10;

/** When CodeBuild itself wrote the build's artifacts, as it reports the phase. */
export interface UploadWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * The version of each key under the build's artifacts prefix that CodeBuild's upload wrote, or
 * why the prefix holds something else. The project's role may put objects under its prefix (and
 * may delete none), so CodeBuild's own upload leaves exactly one version of each key, written
 * within its UPLOAD_ARTIFACTS phase. A second version (an overwrite), a delete marker, or a
 * version written before or after that phase is someone else's write: nothing is attested.
 */
export async function uploadedArtifacts(
  objects: Pick<VersionedObjects, 'versions'>,
  build: BuildInfo,
  bucket: string,
  prefix: string,
): Promise<{ versions: StoredVersion[] } | { refused: string }> {
  const window = uploadWindow(build);
  if ('refused' in window) return window;
  const byKey = new Map<string, StoredVersion[]>();
  for (const v of await objects.versions(bucket, prefix)) byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);
  const problems = [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, versions]) => {
      const problem = problemOf(key.slice(prefix.length), versions, window);
      return problem === null ? [] : [problem];
    });
  if (problems.length === 0) return { versions: [...byKey.values()].flat() };
  const named = problems.slice(0, MOST_NAMED).join('; ');
  const more = problems.length > MOST_NAMED ? `; and ${problems.length - MOST_NAMED} more` : '';
  // The keys first: a run's failure reason keeps only its first 200 characters.
  return {
    refused:
      `${named}${more}, under s3://${bucket}/${prefix}, where only build ${build.id}'s own upload writes ` +
      `(UPLOAD_ARTIFACTS ${window.start.toISOString()} to ${window.end.toISOString()}, ` +
      `±${UPLOAD_CLOCK_TOLERANCE_MS / 1000} s). Nothing is attested: something else holding the build ` +
      "project's role wrote there; investigate before building again",
  };
}

/** The build's UPLOAD_ARTIFACTS phase, ended and succeeded, or why it cannot bound the upload. */
export function uploadWindow(build: BuildInfo): UploadWindow | { refused: string } {
  const phase = build.phases.find((p) => p.type === 'UPLOAD_ARTIFACTS');
  const start = phase?.startTime ? new Date(phase.startTime) : undefined;
  const end = phase?.endTime ? new Date(phase.endTime) : undefined;
  if (phase?.status !== 'SUCCEEDED' || start === undefined || end === undefined) {
    return {
      refused: `CodeBuild reports no ended, succeeded UPLOAD_ARTIFACTS phase for build ${build.id}: what its upload wrote cannot be told from anyone else's writes`,
    };
  }
  return { start, end };
}

/** Why one key is not CodeBuild's upload alone, or null when it is. */
function problemOf(name: string, versions: readonly StoredVersion[], window: UploadWindow): string | null {
  const describe = () =>
    versions.map((v) => `${v.deleteMarker ? 'delete marker' : v.versionId} at ${v.lastModified.toISOString()}`);
  if (versions.length > 1) return `${name} has ${versions.length} versions (${describe().join(', ')})`;
  const [only] = versions;
  if (only === undefined) return null;
  if (only.deleteMarker) return `${name} was deleted (${describe().join('')})`;
  const at = only.lastModified.getTime();
  if (at < window.start.getTime() - UPLOAD_CLOCK_TOLERANCE_MS)
    return `${name} was written before the upload began (${describe().join('')})`;
  if (at > window.end.getTime() + UPLOAD_CLOCK_TOLERANCE_MS)
    return `${name} was written after the upload ended (${describe().join('')})`;
  return null;
}
