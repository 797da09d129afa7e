import type { RunPlan, SourceEvent } from '../../events';
import type { MergedPullRequest } from '../history/pulls';
import { HistoryError } from '../history/types';
import { shaOrNull } from '../webhooks/payload';
import { participantsOf } from './plan';
import type { ChangeHistory, PipelineDeps } from './ports';

/**
 * Completes the list of who wrote and committed a change through the provider's API, when
 * separation of duties will ask. The change an approver passes is everything the environment
 * has not released yet: from the commit of its last successful release (else the push's
 * `before`) to the run's commit. The delivery is enough only when it starts at that release and
 * lists every commit with its committer; otherwise the range is listed through the provider and
 * joins what the delivery said. When it cannot be listed whole, the plan keeps saying why, and
 * every approval of the run is refused with it.
 */
export async function completeParticipants(
  deps: Pick<PipelineDeps, 'logger' | 'runs'> & { readonly history?: ChangeHistory | undefined },
  plan: RunPlan,
  source: SourceEvent,
): Promise<RunPlan> {
  if (plan.skip || plan.approval?.separationOfDuties !== true) return plan;
  const listed: string[] = [];
  const completed = await completeCommits(deps, plan, source, listed);
  return withPullRequests(deps, completed, source, [plan.commit, ...source.commits.map((c) => c.id), ...listed]);
}

/**
 * Who opened and who merged the merged pull requests behind a pushed change: the commits of a
 * pull request carry their authors' names, not the opener's or the merger's, so a push of a
 * merged pull request would otherwise let its opener approve her own release. Each one joins the
 * participants; a look-up that fails, or a merger the provider does not name, leaves the change
 * incomplete, and every approval of the run is refused with why. Only pushes are looked up (a
 * pull request's own run already names its author); no `history` port leaves it not looked up.
 */
async function withPullRequests(
  deps: Pick<PipelineDeps, 'logger'> & { readonly history?: ChangeHistory | undefined },
  plan: RunPlan,
  source: SourceEvent,
  commits: readonly string[],
): Promise<RunPlan> {
  if (plan.trigger !== 'push' || deps.history === undefined) return plan;
  const gap = (reason: string): RunPlan => ({
    ...plan,
    change: {
      ...plan.change,
      pullRequests: null,
      incomplete: plan.change.incomplete === null ? reason : `${plan.change.incomplete}, and ${reason}`,
    },
  });
  let pulls: readonly MergedPullRequest[];
  try {
    pulls = await deps.history.pullRequestsOf({
      provider: source.provider,
      connection: plan.status.connection,
      secretId: plan.status.secretId,
      repository: plan.status.repository,
      commits: [...new Set(commits)],
    });
  } catch (error) {
    const reason =
      error instanceof HistoryError
        ? error.message
        : `reading the ${source.provider} connection failed (${error instanceof Error ? error.name : 'unknown'})`;
    deps.logger.warn('pull requests behind the change not looked up', { runId: plan.runId, reason });
    return gap(`the merged pull requests behind the change could not be looked up (${reason})`);
  }
  const people = pulls.flatMap((p) => [p.openedBy, p.mergedBy]).filter((p) => p !== null);
  const { participants } = plan.change;
  const looked: RunPlan = {
    ...plan,
    change: {
      ...plan.change,
      pullRequests: [...pulls],
      participants: {
        emails: [...new Set([...participants.emails, ...people.flatMap((p) => (p.email ? [p.email] : []))])],
        usernames: [
          ...new Set([...participants.usernames, ...people.flatMap((p) => (p.username ? [p.username] : []))]),
        ],
        ids: [...new Set([...participants.ids, ...people.flatMap((p) => (p.id ? [p.id.toLowerCase()] : []))])],
      },
    },
  };
  const unnamed = pulls.find((p) => p.mergedBy === null || p.openedBy === null);
  if (unnamed === undefined) return looked;
  const reason = `${source.provider} does not say who ${unnamed.openedBy === null ? 'opened' : 'merged'} pull request #${unnamed.number} behind the change`;
  return {
    ...looked,
    change: {
      ...looked.change,
      incomplete: looked.change.incomplete === null ? reason : `${looked.change.incomplete}, and ${reason}`,
    },
  };
}

/** The commits' authors and committers completed as described above; `listed` receives the ids the provider listed. */
async function completeCommits(
  deps: Pick<PipelineDeps, 'logger' | 'runs'> & { readonly history?: ChangeHistory | undefined },
  plan: RunPlan,
  source: SourceEvent,
  listed: string[],
): Promise<RunPlan> {
  const before = shaOrNull(source.before);
  const { released, unknown } = await lastRelease(deps, plan);
  const from = released ?? before;
  const earlier = unknown
    ? `no release of ${plan.environment} was found among the lane's newest ${RELEASE_LOOKBACK} runs`
    : released !== undefined && released !== before
      ? `commits since the last release to ${plan.environment} (${released.slice(0, 12)}) came in other pushes`
      : null;
  const why = earlier ?? plan.change.incomplete;
  if (why === null || from === plan.commit) return plan;
  if (unknown) return { ...plan, change: { ...plan.change, incomplete: why } };
  // The pushes since the release, each a run of this lane that recorded its own delivery's people.
  if (earlier !== null && plan.change.incomplete === null && released !== undefined) {
    const pushed = await pushesSince(deps, plan, released);
    if (pushed !== undefined) return joined(plan, pushed, 'pushes');
  }
  const change = { ...plan.change, incomplete: why };
  const gap = (reason: string): RunPlan => ({ ...plan, change: { ...change, incomplete: `${why}, and ${reason}` } });
  if (from === null) return gap('the change creates its ref, so there is no earlier commit to list it from');
  if (deps.history === undefined) return gap('no provider API is wired to list it');
  try {
    const commits = await deps.history.commitsOf({
      provider: source.provider,
      connection: plan.status.connection,
      secretId: plan.status.secretId,
      repository: plan.status.repository,
      before: from,
      after: plan.commit,
    });
    // The range ends at the run's commit: a list without it answers for another range (or none).
    listed.push(...commits.map((c) => c.id));
    if (!commits.some((c) => c.id === plan.commit))
      return gap(`${source.provider} listed ${commits.length} commits, not the change’s head ${plan.commit}`);
    return joined(plan, participantsOf(commits, []), 'provider');
  } catch (error) {
    const reason =
      error instanceof HistoryError
        ? error.message
        : `reading the ${source.provider} connection failed (${error instanceof Error ? error.name : 'unknown'})`;
    deps.logger.warn('change not listed through the provider', { runId: plan.runId, reason });
    return gap(reason);
  }
}

/** The plan with `listed` joined to its participants, and its list complete. */
function joined(
  plan: RunPlan,
  listed: RunPlan['change']['participants'],
  listedBy: RunPlan['change']['listedBy'],
): RunPlan {
  const { participants } = plan.change;
  return {
    ...plan,
    change: {
      ...plan.change,
      participants: {
        emails: [...new Set([...participants.emails, ...listed.emails])],
        usernames: [...new Set([...participants.usernames, ...listed.usernames])],
        ids: [...new Set([...participants.ids, ...listed.ids])],
      },
      incomplete: null,
      listedBy,
    },
  };
}

/**
 * Everyone the pushes between the release and this one named, when they form an unbroken chain:
 * this push moved the ref from the commit an earlier run of the lane built, which moved it from
 * another's, … back to the released commit, and every one of those deliveries was complete.
 * Undefined when the chain breaks (a delivery that started no run, a force push, a gap).
 */
async function pushesSince(
  deps: Pick<PipelineDeps, 'runs'>,
  plan: RunPlan,
  released: string,
): Promise<RunPlan['change']['participants'] | undefined> {
  const runs = (await deps.runs.list({ lane: plan.lane, limit: 200 })).filter(
    (r) => r.runId !== plan.runId && r.plan.trigger === 'push' && r.plan.retry === null,
  );
  const emails = new Set<string>();
  const usernames = new Set<string>();
  const ids = new Set<string>();
  let from = plan.change.before;
  for (let hops = 0; from !== null && from !== released && hops < runs.length; hops++) {
    const run = runs.find((r) => r.commit === from);
    if (run === undefined || run.plan.change.incomplete !== null) return undefined;
    for (const email of run.plan.change.participants.emails) emails.add(email);
    for (const username of run.plan.change.participants.usernames) usernames.add(username);
    for (const id of run.plan.change.participants.ids) ids.add(id);
    from = run.plan.change.before;
  }
  return from === released ? { emails: [...emails], usernames: [...usernames], ids: [...ids] } : undefined;
}

/** How far back the lane is searched for its last release. */
const RELEASE_LOOKBACK = 200;

/**
 * The commit the run's environment released last (a successful deployment), if any; `unknown`
 * when the lane has more runs than were searched and none of them released (so the release is
 * older than the search, or someone flooded the lane to push it out of sight): fail closed.
 * An environment that never released is checked against its push alone.
 */
async function lastRelease(
  deps: Pick<PipelineDeps, 'runs'>,
  plan: RunPlan,
): Promise<{ released: string | undefined; unknown: boolean }> {
  const runs = await deps.runs.list({ lane: plan.lane, limit: RELEASE_LOOKBACK });
  const released = runs
    .filter((r) => r.runId !== plan.runId && r.status === 'SUCCEEDED' && r.deployment?.status === 'succeeded')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]?.commit;
  return { released, unknown: released === undefined && runs.length >= RELEASE_LOOKBACK };
}
