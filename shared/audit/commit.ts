/** How an audit filter's commit is read: a whole id, or the start of one. */

type CommitFilter = { readonly commit?: string; readonly repository?: string; readonly runId?: string };

/**
 * What to say when a 40-character commit with no repository or run finds nothing: the reader looked
 * it up as a whole SHA-1 id only. Undefined when the filter was looked for every way it can be.
 */
export function commitHint(filter: CommitFilter): string | undefined {
  if (filter.commit?.length !== 40 || filter.repository || filter.runId) return undefined;
  return `no event names commit ${filter.commit.toLowerCase()} as a whole SHA-1 id; if it is the start of a SHA-256 id, give all 64 characters, or a repository or run to look for it in`;
}

/** A whole commit id: SHA-1 (40 hex) or SHA-256 (64); anything between is the start of a SHA-256 one. */
export function isFullCommit(commit: string): boolean {
  return commit.length === 40 || commit.length === 64;
}
