import { ENDED_UNREPORTED } from '../../events';
import { runFact } from '../audit/audit';
import { publishNotification, runEnded } from '../notify/publish';
import { ACTIVE_STATUSES, type RunRecord } from '../runs/model';
import { gantryRecord } from '../runs/subjects';
import type { PipelineDeps } from './ports';
import { admitNext, leaveLane } from './start';

/** A run younger than this may not have its execution yet (the operator API records, then starts). */
export const SWEEP_GRACE_MS = 5 * 60_000;

/** How far back the sweep looks for a close it could not say (by the run's creation), and how many failed runs it reads. */
const UNSAID_WITHIN_MS = 14 * 24 * 60 * 60_000;
const UNSAID_READ = 1000;

/** The sweep stops starting new work after this, well inside its function's 30 s; the next one goes on. */
const SWEEP_BUDGET_MS = 20_000;

/** What one sweep found and fixed. */
export interface SweepOutcome {
  readonly checked: number;
  /** Runs left active whose execution had ended (or never started): now FAILED, their lanes handed on. */
  readonly closed: readonly { readonly runId: string; readonly lane: string; readonly reason: string }[];
  /** Earlier closes whose `run.failed` or `Run Failed` could still not be written or put (the ledger or bus refused). */
  readonly unsaid: number;
}

/**
 * The sweeper (scheduled, on the lane's keeper): reconciles the runs table with Step Functions.
 * A run still QUEUED or RUNNING whose execution has ended (stopped by hand, killed past every
 * Catch) is closed FAILED, on the record and in the ledger, and its lane is handed on; every lane
 * with a queued run is offered to it again, in case a handover was lost. Each fix is reported,
 * so an alarm can say the control plane had to repair itself.
 */
export async function sweepRuns(deps: PipelineDeps): Promise<SweepOutcome> {
  const now = deps.clock();
  const active = (await Promise.all(ACTIVE_STATUSES.map((status) => deps.runs.list({ status, limit: 200 })))).flat();
  const closed: { runId: string; lane: string; reason: string }[] = [];
  const started = Date.now();
  const guarded = async (what: string, runId: string, work: () => Promise<void>): Promise<boolean> => {
    try {
      await work();
      return true;
    } catch (error) {
      // One run the sweep cannot check (throttled, refused) does not stop it checking the others.
      // The message too: a ledger refusing a record names the record that holds its key.
      deps.logger.warn(`sweep could not ${what}`, {
        runId,
        error: error instanceof Error ? error.name : 'unknown',
        message: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  };
  for (const run of active) {
    if (Date.now() - started > SWEEP_BUDGET_MS) break;
    await guarded('check a run', run.runId, async () => {
      const status = await deps.executions.executionStatus(run.executionArn);
      if (status === 'RUNNING') return;
      // Only a missing execution may still be on its way; one that has ended has ended, however young its run.
      if (status === undefined && now.getTime() - Date.parse(run.createdAt) < SWEEP_GRACE_MS) return;
      const reason =
        status === undefined
          ? 'its execution never started; the sweeper closed it'
          : `its execution ended ${status} without closing the run; the sweeper closed it`;
      const wasClosed = await close(deps, run, reason);
      if (wasClosed) closed.push({ runId: run.runId, lane: run.lane, reason });
      await leaveLane(deps, run.lane, run.runId);
      if (wasClosed) await sayClosed(deps, run, reason);
    });
  }
  const waiting = new Set(active.filter((r) => r.status === 'QUEUED').map((r) => r.lane));
  for (const lane of waiting) {
    if (Date.now() - started > SWEEP_BUDGET_MS) break;
    await guarded('hand a lane on', lane, () => admitNext(deps, lane));
  }
  // Last, so a slow or failing read delays nothing above: a close whose ledger record or
  // announcement failed (its run has no endedAt yet) is said now. Any failed run created in the
  // last UNSAID_WITHIN (the runs the sweep closes are old ones); one the budget leaves counts as unsaid.
  let unsaid = 0;
  const since = new Date(now.getTime() - UNSAID_WITHIN_MS).toISOString();
  let failed: RunRecord[] = [];
  if (Date.now() - started <= SWEEP_BUDGET_MS)
    await guarded('read failed runs for unsaid closes', '-', async () => {
      failed = await deps.runs.list({ status: 'FAILED', createdSince: since, limit: UNSAID_READ });
    });
  if (failed.length >= UNSAID_READ)
    deps.logger.warn('sweep read only the newest failed runs for unsaid closes', { read: failed.length, since });
  // Not one this pass closed and said already (the index may not show its endedAt yet).
  const unfinished = failed.filter((r) => closedUnsaid(r) && !closed.some((c) => c.runId === r.runId));
  for (const run of unfinished) {
    if (
      Date.now() - started > SWEEP_BUDGET_MS ||
      !(await guarded('finish a close', run.runId, () => sayClosed(deps, run, run.failure?.reason ?? '')))
    )
      unsaid += 1;
  }
  for (const run of closed) deps.logger.warn('run reconciled', run);
  return { checked: active.length, closed, unsaid };
}

/** Closes the run FAILED, if it is still active; `sayClosed` says so once its lane is handed on. */
async function close(deps: PipelineDeps, run: RunRecord, reason: string): Promise<boolean> {
  const failure = { stage: 'internal', error: ENDED_UNREPORTED.reconciled, reason } as const;
  return deps.runs.setStatus(run.runId, 'FAILED', deps.clock(), { failure }, ACTIVE_STATUSES);
}

/** A run the sweep closed whose end it has not yet recorded and announced. */
function closedUnsaid(run: RunRecord): boolean {
  return run.failure?.error === ENDED_UNREPORTED.reconciled && run.endedAt === undefined;
}

/**
 * Says a close: the ledger's `run.failed`, and the `Run Failed` event whose rule posts the commit's
 * status. `endedAt` is written last, once both went out, so a close that a failing ledger or bus
 * interrupted is found by the next sweep (`closedUnsaid`) and said then, each once.
 */
async function sayClosed(deps: PipelineDeps, run: RunRecord, reason: string): Promise<void> {
  const now = deps.clock();
  const failure = { stage: 'internal', error: ENDED_UNREPORTED.reconciled, reason } as const;
  await deps.audit.record({
    ...gantryRecord(run.plan, 'run.failed', 'failure', failure),
    once: runFact(run.runId, 'run.ended'),
  });
  if (!(await publishNotification(deps, runEnded(run.plan, now, failure))))
    throw new Error(`the bus refused run ${run.runId}'s Run Failed: the next sweep announces it again`);
  await deps.runs.setStatus(run.runId, 'FAILED', now, { endedAt: now.toISOString() }, ['FAILED']);
}
