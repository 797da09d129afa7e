import type { RunPlan, SourceEvent } from '../../events';
import { HistoryError } from '../history/types';
import { shaOrNull } from '../webhooks/payload';
import { participantsOf } from './plan';
import type { ChangeHistory, PipelineDeps } from './ports';

/**
 * Completes the list of who wrote and committed a change through the provider's API, when
 * separation of duties will ask and the delivery left a gap (it lists only some commits, none,
 * or not their committers). What the API lists joins what the delivery said; when it cannot be
 * listed whole, the plan keeps saying why, and every approval of the run is refused with it.
 */
export async function completeParticipants(
  deps: Pick<PipelineDeps, 'logger'> & { readonly history?: ChangeHistory | undefined },
  plan: RunPlan,
  source: SourceEvent,
): Promise<RunPlan> {
  const { change } = plan;
  if (plan.skip || plan.approval?.separationOfDuties !== true || change.incomplete === null) return plan;
  const gap = (why: string): RunPlan => ({
    ...plan,
    change: { ...change, incomplete: `${change.incomplete}, and ${why}` },
  });
  const before = shaOrNull(source.before);
  if (before === null) return gap('the change creates its ref, so there is no earlier commit to list it from');
  if (deps.history === undefined) return gap('no provider API is wired to list it');
  try {
    const commits = await deps.history.commitsOf({
      provider: source.provider,
      connection: plan.status.connection,
      secretId: plan.status.secretId,
      repository: plan.status.repository,
      before,
      after: plan.commit,
    });
    if (commits.length > 0 && !commits.some((c) => c.id === plan.commit))
      return gap(`${source.provider} listed ${commits.length} commits without the change’s head ${plan.commit}`);
    const listed = participantsOf(commits, []);
    return {
      ...plan,
      change: {
        ...change,
        participants: {
          emails: [...new Set([...change.participants.emails, ...listed.emails])],
          usernames: [...new Set([...change.participants.usernames, ...listed.usernames])],
        },
        incomplete: null,
        listedBy: 'provider',
      },
    };
  } catch (error) {
    const why =
      error instanceof HistoryError
        ? error.message
        : `reading the ${source.provider} connection failed (${error instanceof Error ? error.name : 'unknown'})`;
    deps.logger.warn('change not listed through the provider', { runId: plan.runId, reason: why });
    return gap(why);
  }
}
