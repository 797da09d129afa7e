import type { ApprovalOutput, EligibleApprover, RunPlan } from '../../events';
import { runFact } from '../audit/audit';
import { approvalRequested, publishNotification } from '../notify/publish';
import type { RunRecord } from '../runs/model';
import { subjectOf } from '../runs/subjects';
import { AuthorityUnavailable, approverOf, authorityOver, namesOf } from './authority';
import { ForgedInputError, recordForgedInput, runOfExecution } from './ownership';
import type { DeployedPipelines, PipelineDeps } from './ports';
import { OIDC_PRINCIPAL_PREFIX, SLACK_PRINCIPAL_PREFIX } from './principals';

/** Why a decision was refused; each code maps to one HTTP status in the operator API. */
export const DECISION_ERRORS = {
  run_not_found: 404,
  no_approval_pending: 409,
  already_decided: 409,
  expired: 410,
  reason_required: 400,
  not_an_approver: 403,
  separation_of_duties: 403,
  configuration_unavailable: 503,
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

/**
 * Approval step: parks the run's task token with the run and says who may decide until when:
 * the approvers as the pipeline is deployed now, whose decisions are the ones that count.
 */
export async function requestApproval(
  deps: DecisionDeps,
  input: RunPlan,
  taskToken: string,
  executionArn: string,
): Promise<void> {
  const plan = await waitingRun(deps, input, executionArn);
  if (plan.approval === null) throw new Error(`run ${plan.runId} needs no approval`);
  const approvers = await currentApprovers(deps, plan);
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
  // Published again by a retried step: the notifier's delivery keys send each target one message.
  const { detail } = approvalRequested(plan, deadline, approvers);
  await publishNotification(deps, { detailType: 'Approval Requested', detail });
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
    once: runFact(plan.runId, 'approval.requested'),
  });
  deps.logger.info('approval requested', {
    runId: plan.runId,
    environment: plan.environment,
    deadline,
    approvers: detail.approvers,
  });
}

/**
 * The run an Approval step may park a token on: this execution's, running, its request not yet
 * decided. A direct invoke could otherwise swap in a token of its own, or reopen a closed request.
 */
async function waitingRun(deps: DecisionDeps, input: RunPlan, executionArn: string): Promise<RunPlan> {
  const owned = await runOfExecution(deps, input, executionArn, 'request-approval');
  if ('refused' in owned) throw new ForgedInputError(`approval refused: ${owned.refused}`);
  const { run } = owned;
  const why =
    run.status !== 'RUNNING'
      ? `run ${run.runId} is ${run.status}, not RUNNING`
      : run.approval?.outcome !== undefined
        ? `run ${run.runId}'s approval was already ${run.approval.outcome}`
        : null;
  if (why === null) return run.plan;
  await recordForgedInput(deps, input, run, executionArn, 'request-approval', why);
  throw new ForgedInputError(`approval refused: ${why}`);
}

/**
 * The names of the run's environment's approvers as the pipeline is deployed now. When that cannot
 * be read nobody may decide (decide() fails closed too): the request names nobody, and says why in the log.
 */
async function currentApprovers(deps: DecisionDeps, plan: RunPlan): Promise<string[]> {
  const run = await deps.runs.get(plan.runId);
  if (run === undefined) throw new Error(`no run ${plan.runId} was planned by the control plane`);
  try {
    return ((await authorityOver(deps, run)).environment?.approvers ?? []).map((a) => a.identity);
  } catch (error) {
    if (!(error instanceof AuthorityUnavailable)) throw error;
    deps.logger.warn('approval announced with no approvers', { runId: plan.runId, reason: error.message });
    return [];
  }
}

/** What a decision needs besides the pipeline's ports: the pipelines as deployed now. */
export interface DecisionDeps extends PipelineDeps {
  readonly pipelines: DeployedPipelines;
}

/**
 * An operator's decision. Accepted only from an approver of the environment as the pipeline is
 * deployed now (not as it was when the run started), who took no part in the change when the
 * policy says so, with a reason, once per person, before the deadline.
 */
export async function decide(deps: DecisionDeps, request: DecisionRequest): Promise<DecisionOutcome> {
  const run = await deps.runs.get(request.runId);
  if (run === undefined) throw new DecisionError('run_not_found', `no run ${request.runId}`);
  const policy = run.plan.approval;
  if (policy === null || run.approval === undefined)
    throw new DecisionError('no_approval_pending', `run ${run.runId} is not waiting for approval`);
  if (run.approval.outcome !== undefined)
    throw new DecisionError('already_decided', `run ${run.runId} was already ${run.approval.outcome}`);
  // A run that ended while its approval was open (cancelled, failed) waits for nobody: a decision
  // on it would put an approval on record for a run that deploys nothing.
  if (run.status !== 'RUNNING') throw notWaiting(run);
  if (deps.clock().toISOString() > run.approval.deadline) {
    await deps.runs.closeApproval(run.runId, 'expired', deps.clock());
    throw new DecisionError('expired', `the approval of run ${run.runId} expired at ${run.approval.deadline}`);
  }
  if (request.reason.trim() === '') throw new DecisionError('reason_required', 'every decision needs a reason');
  const authority = await authorityOver(deps, run).catch((error: unknown) => {
    if (error instanceof AuthorityUnavailable) throw new DecisionError('configuration_unavailable', error.message);
    throw error;
  });
  const approver = approverOf(authority, request.principal);
  if (approver === undefined)
    throw new DecisionError(
      'not_an_approver',
      `${request.principal} is not an approver of ${run.environment ?? 'this run'} as pipeline ${run.pipeline} is deployed now (approvers: ${namesOf(authority.environment?.approvers ?? [])})${howToBeKnown(request.principal)}`,
    );
  // Whoever asked for a rollback or a retry never approves it, whatever the separation policy says.
  const conflict =
    requesterConflict(approver, run.plan) ??
    (policy.separationOfDuties || authority.environment?.approval.separationOfDuties
      ? separationConflict(approver, run.plan)
      : null);
  if (conflict !== null) throw new DecisionError('separation_of_duties', conflict);
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
  if (updated === undefined) {
    const now = await deps.runs.get(run.runId);
    if (now !== undefined && now.status !== 'RUNNING') throw notWaiting(now);
    throw new DecisionError('already_decided', `${approver.identity} already decided, or the request is closed`);
  }
  await recordDecision(deps, run.plan, approver.identity, request);
  // Only decisions of people who are approvers as the pipeline is deployed now count: someone
  // removed from the group after deciding no longer does (Deploy and ReportStatus check again).
  const current = Object.values(updated.approval?.decisions ?? {}).filter(
    (d) => approverOf(authority, d.principal)?.identity === d.identity,
  );
  return settle(
    deps,
    updated.plan,
    updated.approval?.taskToken ?? '',
    current,
    Math.max(policy.minApprovals, authority.environment?.approval.minApprovals ?? 0),
    request,
    approver.identity,
  );
}

/** The approval was not closed by this decision: a run cancelled since the decision was written is refused so. */
async function refuseIfEnded(deps: PipelineDeps, runId: string): Promise<void> {
  const run = await deps.runs.get(runId);
  if (run !== undefined && run.status !== 'RUNNING') throw notWaiting(run);
}

function notWaiting(run: RunRecord): DecisionError {
  return new DecisionError(
    'no_approval_pending',
    `run ${run.runId} is ${run.status}${run.cancelledBy ? ` (cancelled by ${run.cancelledBy})` : ''}: its approval no longer waits for a decision`,
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
    } else await refuseIfEnded(deps, plan.runId);
    return { outcome: 'rejected' };
  }
  const approvedBy = decisions.filter((d) => d.decision === 'approve').map((d) => d.identity);
  if (approvedBy.length < needed) return { outcome: 'recorded', approvals: approvedBy.length, needed };
  if (!(await deps.runs.closeApproval(plan.runId, 'approved', deps.clock()))) await refuseIfEnded(deps, plan.runId);
  else {
    await deps.executions.sendTaskSuccess(taskToken, { approvedBy } satisfies ApprovalOutput);
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

/**
 * What an approver whose Slack or console sign-in the config does not list yet must add: they
 * read "not an approver" while their name is among the approvers.
 */
function howToBeKnown(principal: string): string {
  for (const [prefix, field] of [
    [SLACK_PRINCIPAL_PREFIX, 'slack'],
    [OIDC_PRINCIPAL_PREFIX, 'oidc'],
  ] as const)
    if (principal.startsWith(prefix))
      return `; if you are one of them, add "${principal.slice(prefix.length)}" to approvers.identities.<you>.${field} in gantry.config.yaml and deploy`;
  return '';
}

/**
 * Whoever asked for a rollback or a retry may not approve it, with or without separation of duties:
 * otherwise one operator could redeploy an old version, or rerun a change, and approve it alone.
 */
export function requesterConflict(approver: EligibleApprover, plan: RunPlan): string | null {
  const who = approver.identity;
  if (plan.rollback !== null && plan.rollback.requestedBy === who)
    return `${who} asked for this rollback; another approver must decide`;
  if (plan.retry !== null && plan.retry.requestedBy === who)
    return `${who} asked for this retry; another approver must decide`;
  return null;
}

/**
 * Separation of duties over the whole change: whoever wrote or committed any of its commits
 * (as the delivery lists them, completed through the provider's API), pushed it, sent it or opened
 * its pull request, and whoever asked for a rollback or a retry, may not approve it. It fails closed: an
 * approver Gantry cannot recognise at the provider, or a change whose commits Gantry could not
 * list whole, is refused with what to configure.
 */
export function separationConflict(approver: EligibleApprover, plan: RunPlan): string | null {
  const provider = plan.status.provider as keyof typeof approver.git;
  const who = approver.identity;
  const username = approver.git[provider]?.toLowerCase();
  const emails = approver.emails.map((e) => e.toLowerCase());
  const requester = requesterConflict(approver, plan);
  if (requester !== null) return requester;
  if (username === undefined || emails.length === 0)
    return `Gantry cannot tell whether ${who} took part in this change: set approvers.identities.${who}.git.${provider} (their ${provider} username) and .emails (their commit e-mails)`;
  const { change } = plan;
  const id = approver.gitIds?.[provider]?.toLowerCase();
  // By account id, which no rename changes, as well as by username.
  const same = (by: { readonly id: string | null; readonly username: string | null }) =>
    (id !== undefined && by.id !== null && by.id.toLowerCase() === id) ||
    (by.username !== null && by.username.toLowerCase() === username);
  const wrote = [...change.participants.emails, change.authorEmail ?? ''].some((e) => emails.includes(e.toLowerCase()));
  const pushed =
    [...change.participants.usernames, change.pusher ?? '', change.sender ?? ''].some(
      (u) => u.toLowerCase() === username,
    ) ||
    (id !== undefined && (change.participants.ids ?? []).includes(id));
  // Named first: the opener's and merger's names joined the participants, and "wrote or committed" would mislead.
  const pull = (change.pullRequests ?? [])
    .flatMap((p) => [
      { p, role: 'opened', by: p.openedBy },
      { p, role: 'merged', by: p.mergedBy },
    ])
    .find(({ by }) => by !== null && (same(by) || (by.email !== null && emails.includes(by.email.toLowerCase()))));
  if (pull !== undefined)
    return `${who} ${pull.role} pull request #${pull.p.number}${pull.p.title ? ` (${pull.p.title})` : ''}, which brought this change in; another approver must decide`;
  if (wrote || pushed)
    return `${who} ${wrote ? 'wrote or committed a commit of' : 'pushed or sent'} this change; another approver must decide`;
  if (change.incomplete !== null)
    return `${change.incomplete}, so Gantry cannot tell whether ${who} wrote or committed part of it: give the ${plan.status.connection} connection an apiToken that may read ${plan.repository} (Gantry then lists a change's commits through ${provider}'s API), or turn separationOfDuties off for ${plan.environment}`;
  return null;
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
    once: runFact(plan.runId, `approval.decision/${identity}`),
  });
}
