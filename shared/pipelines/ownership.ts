import type { RunPlan } from '../../events';
import type { AuditSink } from '../audit/audit';
import type { RunRecord } from '../runs/model';
import type { RunStore } from '../runs/store';
import { gantryRecord } from '../runs/subjects';

type OwnershipDeps = { readonly runs: RunStore; readonly audit: AuditSink };

/** A step refused its input: it names a run that is not this execution's, or not in a state to go on. */
export class ForgedInputError extends Error {
  override readonly name = 'Gantry.ForgedInput';
}

/** What a step's input says about its run: only a pointer, checked against the runs table. */
export interface RunPointer {
  readonly runId: string;
  readonly repository?: string | null;
  readonly commit?: string | null;
  readonly pipeline?: string | null;
}

/**
 * The run a step may act for: the one the control plane recorded for this very execution.
 * `executionArn` is `$$.Execution.Id`, which Step Functions sets from the context object and no
 * input can; the plan in the input is only a pointer. A step handed anyone else's run (a forged
 * or replayed execution) gets `refused`, and the ledger gets `security.forged_input`.
 */
export async function runOfExecution(
  deps: OwnershipDeps,
  input: RunPointer,
  executionArn: string,
  step: string,
): Promise<{ run: RunRecord } | { refused: string }> {
  const run = await deps.runs.get(input.runId);
  if (run !== undefined && run.executionArn === executionArn) return { run };
  const reason =
    run === undefined
      ? `no run ${input.runId} was planned by the control plane`
      : `run ${run.runId} belongs to execution ${run.executionArn}, not to ${executionArn}`;
  await recordForgedInput(deps, input, run, executionArn, step, reason);
  return { refused: reason };
}

/**
 * A rollback's execution carries only its run id: the plan is the one the operator API recorded
 * (who asked, which revision), for this execution, not yet ended. Anything else is refused.
 */
export async function loadRollback(
  deps: OwnershipDeps,
  runId: string,
  executionArn: string,
): Promise<{ plan: RunPlan; queued: boolean }> {
  const owned = await runOfExecution(deps, { runId }, executionArn, 'rollback');
  if ('refused' in owned) throw new ForgedInputError(`rollback refused: ${owned.refused}`);
  const { run } = owned;
  const why =
    run.plan.trigger !== 'rollback'
      ? `run ${run.runId} is a ${run.plan.trigger} run, not a rollback the operator API started`
      : run.status !== 'RUNNING' && run.status !== 'QUEUED'
        ? `run ${run.runId} is ${run.status}, not waiting to run`
        : null;
  if (why === null) return { plan: run.plan, queued: run.status === 'QUEUED' };
  await recordForgedInput(deps, run.plan, run, executionArn, 'rollback', why);
  throw new ForgedInputError(`rollback refused: ${why}`);
}

/**
 * A retry's execution carries only its run id: the plan is the one the operator API recorded
 * (who asked, which run it repeats), for this execution, not yet ended. Anything else is refused.
 */
export async function loadRetry(
  deps: OwnershipDeps,
  runId: string,
  executionArn: string,
): Promise<{ plan: RunPlan; queued: boolean }> {
  const owned = await runOfExecution(deps, { runId }, executionArn, 'retry');
  if ('refused' in owned) throw new ForgedInputError(`retry refused: ${owned.refused}`);
  const { run } = owned;
  const why =
    run.plan.retry === null
      ? `run ${run.runId} is not a retry the operator API started`
      : run.status !== 'RUNNING' && run.status !== 'QUEUED'
        ? `run ${run.runId} is ${run.status}, not waiting to run`
        : null;
  if (why === null) return { plan: run.plan, queued: run.status === 'QUEUED' };
  await recordForgedInput(deps, run.plan, run, executionArn, 'retry', why);
  throw new ForgedInputError(`retry refused: ${why}`);
}

/**
 * A run reported as succeeded must have been let into its lane: a QUEUED run got past WaitTurn
 * only if someone answered its lane token by hand (in AWS the token is in the execution's
 * history). It is refused and recorded as forged input. (A retried report finds its run
 * SUCCEEDED; one cancelled meanwhile is left to the cancel, as before.)
 */
export async function requireAdmitted(
  deps: OwnershipDeps,
  run: RunRecord,
  executionArn: string,
  step: string,
): Promise<void> {
  if (run.status !== 'QUEUED') return;
  const reason = `run ${run.runId} is QUEUED, not RUNNING: its lane was never handed to it, so its lane token was answered by someone other than Gantry; ${step} reports no success for it`;
  await recordForgedInput(deps, run.plan, run, executionArn, step, reason);
  throw new ForgedInputError(reason);
}

export async function recordForgedInput(
  deps: { readonly audit: AuditSink },
  input: RunPointer,
  run: Pick<RunRecord, 'plan'> | undefined,
  executionArn: string,
  step: string,
  reason: string,
): Promise<void> {
  const details = { step, executionArn, reason };
  if (run !== undefined) {
    await deps.audit.record(gantryRecord(run.plan, 'security.forged_input', 'rejected', details));
    return;
  }
  // No run by that id: the ledger names what the input claimed, attributed to no one. The claimed
  // commit is said in words, not indexed: `gantry audit evidence <commit>` finds runs through the
  // commit index, and a forged input naming a real run's id must not make that run the evidence
  // for a commit it never built.
  await deps.audit.record({
    type: 'security.forged_input',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: {
      repository: input.repository ?? null,
      commit: null,
      runId: input.runId,
      environment: null,
      pipeline: input.pipeline ?? null,
    },
    outcome: 'rejected',
    details: input.commit ? { ...details, reason: `${reason} (the input claimed commit ${input.commit})` } : details,
    correlationId: `forged:${input.runId}`,
  });
}
