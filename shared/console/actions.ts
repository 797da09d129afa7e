import { requesterConflict, separationConflict } from '../pipelines/approval';
import { AuthorityUnavailable, approverOf, authorityOver, operatorOf } from '../pipelines/authority';
import type { DeployedPipelines } from '../pipelines/ports';
import { ACTIVE_STATUSES, type RunRecord } from '../runs/model';

/** What the signed-in person may do on a run, and why not when they may not. */
export interface RunActions {
  readonly decide: boolean;
  readonly cancel: boolean;
  readonly retry: boolean;
  /** Roll the run's environment back to the good revision before this run's (operators, once its deployment landed). */
  readonly rollback: boolean;
  /** Why the decision buttons are hidden, when a decision is pending but this person may not take it. */
  readonly why?: string;
}

/**
 * Which actions to show: the same authority the operator use cases check (today's approvers and
 * operators, separation of duties). Showing is a courtesy; the use cases refuse regardless.
 */
export async function actionsFor(
  deps: { readonly pipelines: DeployedPipelines },
  run: RunRecord,
  principal: string,
): Promise<RunActions> {
  const authority = await authorityOver(deps, run).catch((error: unknown) => {
    if (error instanceof AuthorityUnavailable) return undefined;
    throw error;
  });
  if (authority === undefined)
    return {
      decide: false,
      cancel: false,
      retry: false,
      rollback: false,
      why: 'the deployed configuration could not be read',
    };
  const pending = run.approval !== undefined && run.approval.outcome === undefined && run.status === 'RUNNING';
  const approver = approverOf(authority, principal);
  // As the operator use cases decide (authorizedOperator): an approver is not an operator unless listed as one.
  const operator = operatorOf(authority, principal);
  const active = ACTIVE_STATUSES.includes(run.status);
  const separation = run.plan.approval?.separationOfDuties || authority.environment?.approval.separationOfDuties;
  // As decide() refuses: the rollback's or retry's requester always, the change's people under separation of duties.
  const conflict =
    approver && pending
      ? (requesterConflict(approver, run.plan) ?? (separation ? separationConflict(approver, run.plan) : null))
      : null;
  const decided = approver !== undefined && run.approval?.decisions[approver.identity] !== undefined;
  const decide = pending && approver !== undefined && conflict === null && !decided;
  const why = !pending
    ? undefined
    : approver === undefined
      ? `you are not an approver of ${run.environment ?? 'this run'}`
      : decided
        ? 'you already decided'
        : (conflict ?? undefined);
  // As the use cases decide: a run whose deployment landed is rolled back, not cancelled (a cancel
  // would skip its bake check); a rollback of one still baking waits for that check.
  const baking = active && run.deployment?.status === 'succeeded';
  return {
    decide,
    cancel: operator !== undefined && active && !baking,
    retry: operator !== undefined && !active && run.plan.trigger !== 'rollback' && !run.plan.skip,
    rollback:
      operator !== undefined &&
      (run.status === 'SUCCEEDED' || baking) &&
      run.environment !== null &&
      run.plan.deployTarget != null,
    ...(why === undefined ? {} : { why }),
  };
}
