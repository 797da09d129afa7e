/** How an audit filter's commit is read: a whole id, or the start of one. */

type CommitFilter = {
  readonly commit?: string;
  readonly repository?: string;
  readonly runId?: string;
  readonly from?: string;
};

/**
 * Whether 40 characters the commit index does not know are looked for as the start of a SHA-256
 * id: within a run, or a repository over a period (`from`), and nowhere wider. Else every commit
 * never built would be a read of the whole ledger, or of a repository's whole chain.
 */
export function prefixWithin(filter: CommitFilter): boolean {
  return Boolean(filter.runId || (filter.repository && filter.from));
}

/**
 * What to say when a search found nothing and named 40 characters, no repository and no run, and no
 * record names that commit as a whole id (`known`, AuditReader.commitKnown): it was looked up as a
 * whole SHA-1 id only. Undefined otherwise, including when other filters or the period left out the
 * commit's events. `looked` names where to look as the caller's user types it.
 */
export async function commitHint(
  filter: CommitFilter,
  found: number,
  known: (commit: string) => Promise<boolean>,
  looked = 'a run, or a repository and a from,',
): Promise<string | undefined> {
  if (found > 0 || filter.commit?.length !== 40 || prefixWithin(filter)) return undefined;
  const commit = filter.commit.toLowerCase();
  if (await known(commit)) return undefined;
  return `no event names commit ${commit} as a whole SHA-1 id; if it is the start of a SHA-256 id, give all 64 characters, or ${looked} to look for it in`;
}

/** A whole commit id: SHA-1 (40 hex) or SHA-256 (64); anything between is the start of a SHA-256 one. */
export function isFullCommit(commit: string): boolean {
  return commit.length === 40 || commit.length === 64;
}
