import type { RunPlan } from '../../events';
import type { RunRecord } from '../runs/model';
import type { PipelineDeps } from './ports';

/** How many of the lane's newest runs are searched for the moves of the push's ref. */
export const STALE_LOOKBACK = 100;

/** One move of a ref, as a run of it recorded its push: from `before` to `after`. */
interface Move {
  readonly runId: string;
  readonly deliveryId: string;
  /** Null when the push created the ref. */
  readonly before: string | null;
  readonly after: string;
  /** When its run was recorded. */
  readonly at: string;
}

/**
 * Why a push (or tag) is stale, or null when it is not known to be. A push that moved its ref to
 * `after` was followed by a newer one when a run of the lane recorded a push of the same ref
 * moving it on from `after`, and nothing recorded brings the ref back to where this push started
 * (a force push back, then this very move again, is a current push). Only what the runs say is
 * believed, and only when it is unambiguous: a push that creates its ref (deletions leave no
 * run), a run already recorded (a retried ResolvePlan), a ref that reached `after` by another
 * move too, or a record that predates the ref's `after` is planned as before.
 */
export async function whyStale(deps: Pick<PipelineDeps, 'runs'>, plan: RunPlan): Promise<string | null> {
  if (plan.skip || (plan.trigger !== 'push' && plan.trigger !== 'tag') || plan.ref === null) return null;
  const before = lower(plan.change.before);
  const after = lower(plan.change.after);
  if (before === null || after === null || created(before)) return null;
  if ((await deps.runs.get(plan.runId)) !== undefined) return null;
  const moves = movesOf(await deps.runs.list({ lane: plan.lane, limit: STALE_LOOKBACK }), plan);
  const newer = moves === undefined ? undefined : newerMove(moves, before, after);
  return newer === undefined ? null : staleReason(plan, newer);
}

/** The plan, skipped with why when its push is stale (see `whyStale`); as it was otherwise. */
export async function skipIfStale(deps: Pick<PipelineDeps, 'runs'>, plan: RunPlan): Promise<RunPlan> {
  const reason = await whyStale(deps, plan);
  return reason === null ? plan : { ...plan, skip: true, skipReason: reason };
}

/** The recorded moves of the plan's ref (newest first); undefined when one of them cannot be read. */
function movesOf(runs: readonly RunRecord[], plan: RunPlan): Move[] | undefined {
  const moves: Move[] = [];
  for (const run of runs) {
    const p = run.plan;
    if (run.runId === plan.runId || p.trigger !== plan.trigger || p.ref !== plan.ref) continue;
    if (p.retry !== null || p.rollback !== null) continue;
    // A branch points at commits, so a push's commit is where it moved its branch; a tag may not.
    const after = lower(p.change.after ?? (p.trigger === 'push' ? p.commit : null));
    if (after === null) return undefined;
    moves.push({
      runId: run.runId,
      deliveryId: p.change.deliveryId,
      before: created(p.change.before) ? null : lower(p.change.before),
      after,
      at: run.createdAt,
    });
  }
  return moves;
}

/**
 * The newest recorded move that left `after` with no recorded way back to `before`, provided the
 * ref reached `after` only by this push's own move (`before`→`after`): a ref that came to `after`
 * some other way too may have left it before this push brought it back.
 */
function newerMove(moves: readonly Move[], before: string, after: string): Move | undefined {
  if (moves.some((m) => m.after === after && m.before !== before)) return undefined;
  // The ref was created at the commit this push moves it from: deleted and created again after
  // the newer push (a deletion leaves no run), or created before it, read the same in the runs
  // whatever order their deliveries came in. It cannot tell, so the push runs.
  if (moves.some((m) => m.before === null && m.after === before)) return undefined;
  return moves.find((m) => m.before === after && !reaches(moves, m, before));
}

/**
 * Whether the recorded moves lead the ref on from `newer` to `to` (in any number of moves, or
 * none). A deletion leaves no run, so a ref created again after `newer` may have come from
 * anywhere: its creation is a way on too.
 */
function reaches(moves: readonly Move[], newer: Move, to: string): boolean {
  const from = newer.after;
  const recreated = moves.filter((m) => m.before === null && m.at > newer.at).map((m) => m.after);
  const seen = new Set([from, ...recreated]);
  const queue = [...seen];
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    if (at === to) return true;
    for (const m of moves)
      if (m.before === at && !seen.has(m.after)) {
        seen.add(m.after);
        queue.push(m.after);
      }
  }
  return false;
}

function staleReason(plan: RunPlan, newer: Move): string {
  const short = (sha: string | null) => (sha ?? 'none').slice(0, 12);
  const { before, after, deliveryId } = plan.change;
  return (
    `stale ${plan.trigger}: ${plan.ref} moved ${short(before)}→${short(after)} in delivery ${deliveryId}, ` +
    `but run ${newer.runId} already recorded a newer ${plan.trigger} that moved it on from ${short(after)} ` +
    `to ${short(newer.after)} (delivery ${newer.deliveryId}). This delivery came late (a provider retry, ` +
    'a redelivery or a dead-letter redrive): running it would put an older commit over a newer one, ' +
    `so it runs nothing and cancels nothing. To release ${short(plan.commit)} on purpose, point ${plan.ref} ` +
    'at it again and push (a new, current push), or use `gantry runs retry` or `gantry runs rollback` ' +
    'on a run of it'
  );
}

/** A push that created its ref: no `before`, or the all-zero commit providers send for one. */
function created(before: string | null): boolean {
  return before === null || /^0+$/.test(before);
}

function lower(sha: string | null): string | null {
  return sha === null ? null : sha.toLowerCase();
}
