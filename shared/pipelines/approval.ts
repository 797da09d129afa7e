import type { AuditDetails, AuditRecordInput, AuditType } from '../../events';
import type { EligibleApprover } from './definition';
import type { RunPlan } from './plan';
import type { PipelineDeps } from './ports';

/** Why a decision was refused; each code maps to one HTTP status in the operator API. */
export const DECISION_ERRORS = {
  run_not_found: 404,
  no_approval_pending: 409,
  already_decided: 409,
  expired: 410,
  reason_required: 400,
  not_an_approver: 403,
  separation_of_duties: 403,
} as const;
export type DecisionErrorCode = keyof typeof DECISION_ERRORS;

export class DecisionError extends Error {
  override readonly name = 'DecisionError';
  readonly status: number;

  constructor(
    readonly code: DecisionErrorCode,
    message: string,
  ) {
    super(message);
    this.status = DECISION_ERRORS[code];
  }
}

export interface DecisionRequest {
  readonly runId: string;
  /** The caller's IAM principal ARN, as the authorizer established it; never a name the caller typed. */
  readonly principal: string;
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
}

export type DecisionOutcome =
  | { readonly outcome: 'approved' | 'rejected' }
  | { readonly outcome: 'recorded'; readonly approvals: number; readonly needed: number };

/** Approval step: parks the run's task token with the run and says who may decide until when. */
export async function requestApproval(deps: PipelineDeps, plan: RunPlan, taskToken: string): Promise<void> {
  if (plan.approval === null) throw new Error(`run ${plan.runId} needs no approval`);
  const now = deps.clock();
  const deadline = new Date(now.getTime() + plan.approval.timeoutSeconds * 1000).toISOString();
  await deps.runs.openApproval(plan.runId, { taskToken, requestedAt: now.toISOString(), deadline }, now);
  await deps.runs.setStage(
    plan.runId,
    'approval',
    {
      status: 'waiting',
      startedAt: now.toISOString(),
      summary: `waiting for ${plan.approval.minApprovals} approval(s) until ${deadline}`,
    },
    now,
  );
  const detail = {
    runId: plan.runId,
    pipeline: plan.pipeline,
    environment: plan.environment,
    repository: plan.repository,
    commit: plan.commit,
    deadline,
    approvers: plan.approval.approvers.map((a) => a.identity),
  };
  await deps.bus.put([{ source: 'gantry.pipelines', detailType: 'Approval Requested', detail }]);
  await deps.audit.record({
    type: 'approval.requested',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome: 'pending',
    details: {
      deadline,
      minApprovals: plan.approval.minApprovals,
      approvers: detail.approvers,
      separationOfDuties: plan.approval.separationOfDuties,
    },
    correlationId: plan.change.deliveryId,
  });
  deps.logger.info('approval requested', {
    runId: plan.runId,
    environment: plan.environment,
    deadline,
    approvers: detail.approvers,
  });
}

/**
 * An operator's decision. Accepted only from an eligible approver who neither wrote nor pushed
 * the change (when the policy says so), with a reason, once per person, before the deadline.
 */
export async function decide(deps: PipelineDeps, request: DecisionRequest): Promise<DecisionOutcome> {
  const run = await deps.runs.get(request.runId);
  if (run === undefined) throw new DecisionError('run_not_found', `no run ${request.runId}`);
  const policy = run.plan.approval;
  if (policy === null || run.approval === undefined)
    throw new DecisionError('no_approval_pending', `run ${run.runId} is not waiting for approval`);
  if (run.approval.outcome !== undefined)
    throw new DecisionError('already_decided', `run ${run.runId} was already ${run.approval.outcome}`);
  if (deps.clock().toISOString() > run.approval.deadline) {
    await deps.runs.closeApproval(run.runId, 'expired', deps.clock());
    throw new DecisionError('expired', `the approval of run ${run.runId} expired at ${run.approval.deadline}`);
  }
  if (request.reason.trim() === '') throw new DecisionError('reason_required', 'every decision needs a reason');
  const approver = policy.approvers.find((a) => a.principals.includes(request.principal));
  if (approver === undefined)
    throw new DecisionError(
      'not_an_approver',
      `${request.principal} is not an approver for ${run.environment ?? 'this run'}`,
    );
  if (policy.separationOfDuties) checkSeparation(approver, run.plan);
  const updated = await deps.runs.addDecision(
    run.runId,
    {
      identity: approver.identity,
      principal: request.principal,
      decision: request.decision,
      reason: request.reason.trim(),
      at: deps.clock().toISOString(),
    },
    deps.clock(),
  );
  if (updated === undefined)
    throw new DecisionError('already_decided', `${approver.identity} already decided, or the request is closed`);
  await recordDecision(deps, run.plan, approver.identity, request);
  return settle(
    deps,
    updated.plan,
    updated.approval?.taskToken ?? '',
    Object.values(updated.approval?.decisions ?? {}),
    policy.minApprovals,
    request,
    approver.identity,
  );
}

async function settle(
  deps: PipelineDeps,
  plan: RunPlan,
  taskToken: string,
  decisions: { decision: string; identity: string }[],
  needed: number,
  request: DecisionRequest,
  identity: string,
): Promise<DecisionOutcome> {
  if (request.decision === 'reject') {
    if (await deps.runs.closeApproval(plan.runId, 'rejected', deps.clock())) {
      await deps.executions.sendTaskFailure(
        taskToken,
        'Gantry.ApprovalRejected',
        `rejected by ${identity}: ${request.reason.trim()}`,
      );
    }
    return { outcome: 'rejected' };
  }
  const approvedBy = decisions.filter((d) => d.decision === 'approve').map((d) => d.identity);
  if (approvedBy.length < needed) return { outcome: 'recorded', approvals: approvedBy.length, needed };
  if (await deps.runs.closeApproval(plan.runId, 'approved', deps.clock())) {
    await deps.executions.sendTaskSuccess(taskToken, { approvedBy });
    await deps.runs.setStage(
      plan.runId,
      'approval',
      {
        status: 'succeeded',
        startedAt: deps.clock().toISOString(),
        endedAt: deps.clock().toISOString(),
        summary: `approved by ${approvedBy.join(', ')}`,
      },
      deps.clock(),
    );
  }
  return { outcome: 'approved' };
}

/** Separation of duties: the author and the pusher of a change may not approve it. */
function checkSeparation(approver: EligibleApprover, plan: RunPlan): void {
  const own = (value: string | null | undefined) => value?.toLowerCase();
  const username = own(approver.git[plan.status.provider as keyof typeof approver.git]);
  const authorEmail = own(plan.change.authorEmail);
  const authored = authorEmail !== undefined && approver.emails.some((e) => e.toLowerCase() === authorEmail);
  const pushed =
    username !== undefined && (username === own(plan.change.pusher) || username === own(plan.change.sender));
  if (authored || pushed) {
    throw new DecisionError(
      'separation_of_duties',
      `${approver.identity} ${authored ? 'wrote' : 'pushed'} this change; another approver must decide`,
    );
  }
}

async function recordDecision(
  deps: PipelineDeps,
  plan: RunPlan,
  identity: string,
  request: DecisionRequest,
): Promise<void> {
  await deps.audit.record({
    type: request.decision === 'approve' ? 'approval.granted' : 'approval.rejected',
    actor: { type: 'user', id: identity, providerIdentity: request.principal },
    subject: subjectOf(plan),
    outcome: request.decision === 'approve' ? 'success' : 'rejected',
    details: { reason: request.reason.trim(), principal: request.principal },
    correlationId: plan.change.deliveryId,
  });
}

export function subjectOf(plan: RunPlan) {
  return {
    repository: plan.repository,
    commit: plan.commit,
    runId: plan.runId,
    environment: plan.environment,
    pipeline: plan.pipeline,
  };
}

/** A fact Gantry itself records about a run: the system actor, the run as subject, typed details. */
export function gantryRecord<T extends AuditType>(
  plan: RunPlan,
  type: T,
  outcome: AuditRecordInput['outcome'],
  details: AuditDetails<T>,
): AuditRecordInput {
  return {
    type,
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome,
    details,
    correlationId: plan.change.deliveryId,
  };
}
