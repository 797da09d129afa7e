import { isDeepStrictEqual } from 'node:util';
import type { PipelineDefinition } from '../../events';
import type { ExecutionControl } from '../aws/step-functions';
import type { RunRecord } from '../runs/model';
import type { RunStore } from '../runs/store';
import { AuthorityUnavailable, approverOf, authorityOver } from './authority';
import { stateMachineOf } from './definition';
import type { DeployedPipelines, ExecutionPipelines } from './ports';

/**
 * What a step that acts (deploys, reports a success) believes about its run: only the run record
 * the control plane wrote, and the pipeline as deployed now. Each check answers why the run may
 * not go on, or null. Callers refuse a non-null answer, and record it as `security.forged_input`
 * (Deploy: unless the configuration's change alone explains it, `configurationChangedOnly`).
 */
export interface ActingDeps {
  readonly runs: RunStore;
  readonly pipelines: DeployedPipelines;
}

/**
 * Why the run's gates do not let it act: a change's run must have its own passing evaluation on
 * record; a rollback (which builds nothing) must restore a run whose gates passed.
 */
export async function gatesShortfall(deps: Pick<ActingDeps, 'runs'>, run: RunRecord): Promise<string | null> {
  const rollback = run.plan.rollback;
  if (rollback !== null) {
    const restored = await deps.runs.get(rollback.toRunId);
    // The run it restores must be of its own lane (pipeline and environment): another's gates vouch for nothing here.
    if (restored !== undefined && (restored.pipeline !== run.pipeline || restored.lane !== run.lane))
      return `rollback run ${run.runId} restores run ${rollback.toRunId}, which is of ${restored.pipeline} lane ${restored.lane}, not of its own lane ${run.lane}`;
    if (restored?.gates?.passed === true) return null;
    return `rollback run ${run.runId} restores run ${rollback.toRunId}, whose gates ${verdictOf(restored)}`;
  }
  if (run.gates?.passed === true) return null;
  return `run ${run.runId}'s gates ${verdictOf(run)}`;
}

function verdictOf(run: RunRecord | undefined): string {
  if (run === undefined) return 'are on no record (no such run)';
  if (run.gates === undefined) return 'were never evaluated';
  return `failed (${run.gates.reasons.join('; ') || 'no reason recorded'})`;
}

/**
 * Why a gated run does not hold the approvals its environment's policy requires, as decide()
 * recorded them and as the pipeline is deployed now: the request closed as approved, and at least
 * the required number of approvals by people who are still approvers of the environment (someone
 * removed from the group since no longer counts). Fails closed when the deployed configuration
 * cannot be read or no longer has the environment.
 */
export async function approvalShortfall(deps: Pick<ActingDeps, 'pipelines'>, run: RunRecord): Promise<string | null> {
  const policy = run.plan.approval;
  if (policy === null) return null;
  const env = run.plan.environment;
  const approvals = Object.values(run.approval?.decisions ?? {}).filter((d) => d.decision === 'approve');
  if (run.approval?.outcome !== 'approved')
    return `environment ${env} requires ${policy.minApprovals} approval(s); run ${run.runId} has ${approvals.length} recorded (${run.approval?.outcome ?? (run.approval ? 'still pending' : 'none requested')})`;
  const authority = await authorityOrRefusal(deps, run);
  if (typeof authority === 'string') return authority;
  if (authority.environment === undefined)
    return `environment ${env} is not in pipeline ${run.pipeline} as deployed now: nobody can approve run ${run.runId}; restore it in the configuration or start a new run`;
  const needed = Math.max(policy.minApprovals, authority.environment.approval.minApprovals);
  const removed = approvals.filter((d) => approverOf(authority, d.principal)?.identity !== d.identity);
  const held = approvals.length - removed.length;
  if (held >= needed) return null;
  const gone =
    removed.length === 0
      ? ''
      : `; ${removed.map((d) => d.identity).join(', ')} no longer approve(s) ${env} as the pipeline is deployed now`;
  return `environment ${env} requires ${needed} approval(s); run ${run.runId} holds ${held} by current approvers${gone}`;
}

/**
 * Why Deploy may not release the run where its record says. The record names the environment, the
 * target and the approval policy, and a record written by anything but the planner (a creator
 * taken over, a put by hand) could name prod's target under an environment that needs no approval,
 * or under none. So the run's environment must be in the pipeline as deployed now, its target must
 * be that environment's, and an environment that requires approval must have been planned with it.
 * A configuration changed since the run was planned refuses it too: a new run follows the change.
 * Fails closed when the deployed configuration cannot be read.
 */
export async function releaseShortfall(deps: Pick<ActingDeps, 'pipelines'>, run: RunRecord): Promise<string | null> {
  const { plan } = run;
  if (plan.deployTarget === null) return null;
  // Deploy releases the target whatever `deploy` says: a plan that names one must mean it.
  if (!plan.deploy) return `run ${run.runId}'s plan deploys nothing, yet names a target`;
  const env = plan.environment;
  if (env === null || run.environment !== env)
    return `run ${run.runId} releases to a target, but its record names environment ${run.environment ?? 'none'} and its plan ${env ?? 'none'}`;
  const authority = await authorityOrRefusal(deps, run);
  if (typeof authority === 'string') return authority;
  if (authority.deployed.name !== run.pipeline)
    return `run ${run.runId} is of pipeline ${run.pipeline}, but its execution is of pipeline ${authority.deployed.name}`;
  const deployed = authority.environment;
  if (deployed === undefined)
    return `environment ${env} is not in pipeline ${run.pipeline} as deployed now: run ${run.runId} releases nowhere; start a new run`;
  if (!sameTarget(deployed.deploy, plan.deployTarget))
    return `run ${run.runId} releases to a target that is not environment ${env}'s as pipeline ${run.pipeline} is deployed now: start a new run, which releases to the environment's`;
  const unplanned = policyGap(run, deployed);
  if (unplanned !== null) return `${unplanned}: start a new run, which asks for it`;
  // Its build ran in the gated project, whose prefix a target that no longer waits for approval is
  // not granted (a target account's role reads its environment's class only).
  if (plan.approval !== null && !deployed.approval.required)
    return `environment ${env} no longer requires approval as pipeline ${run.pipeline} is deployed now, but run ${run.runId} was planned, and built, with it: its package is in the gated builds' prefix, which releases to ${env} no longer read; start a new run`;
  return null;
}

/** The pipeline as deployed now, or why it cannot be read (nobody may act on the run until it can). */
async function authorityOrRefusal(
  deps: Pick<ActingDeps, 'pipelines'>,
  run: RunRecord,
): Promise<Awaited<ReturnType<typeof authorityOver>> | string> {
  try {
    return await authorityOver(deps, run);
  } catch (error) {
    if (error instanceof AuthorityUnavailable) return error.message;
    throw error;
  }
}

/** Two deploy targets alike, whatever keys either leaves undefined. */
function sameTarget(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

/**
 * Why the record does not say the run succeeded, so that ReportSuccess may not say so either:
 * it is running (or a retried report finds it succeeded), its gates passed, a gated environment
 * holds its approvals, and a run that deploys has a deployment Gantry closed as succeeded and a
 * bake that passed. An execution that got here otherwise had a task answered by hand, or was
 * invoked directly.
 */
export async function successShortfall(deps: ActingDeps, run: RunRecord): Promise<string | null> {
  // SUCCEEDED is a retried report's word, or anyone's who may write the status: either way the
  // evidence below is what holds, and a genuine retry passes it again.
  if (run.status !== 'RUNNING' && run.status !== 'SUCCEEDED') return `run ${run.runId} is ${run.status}, not RUNNING`;
  const unmet =
    (await gatesShortfall(deps, run)) ?? (await approvalShortfall(deps, run)) ?? (await unplannedApproval(deps, run));
  if (unmet !== null) return unmet;
  if (!run.plan.deploy || run.plan.deployTarget === null) return null;
  const deployment = run.deployment;
  if (deployment?.status !== 'succeeded')
    return `run ${run.runId} deploys to ${run.plan.environment}, but its deployment ${deployment === undefined ? 'never started' : `is ${deployment.status}`}`;
  // The bake's own attribute, which DeployCheck alone may write (not the deploy stage: every step writes stages).
  if (run.baked === undefined)
    return `run ${run.runId}'s deployment to ${run.plan.environment} has not passed its bake`;
  // A retried bake check that saw an alarm after an earlier attempt noted the bake asked for traffic back.
  if (deployment.trafficBack !== undefined)
    return `run ${run.runId}'s bake check sent traffic back to version ${deployment.fromVersion ?? '?'}`;
  return null;
}

/**
 * Why a run with an environment but no approval policy on record may not be reported green for it:
 * the environment as deployed requires approval (a per-environment commit status says the change
 * is good for that environment). Fails closed when the deployed configuration cannot be read.
 */
async function unplannedApproval(deps: Pick<ActingDeps, 'pipelines'>, run: RunRecord): Promise<string | null> {
  if (run.plan.approval !== null || run.plan.environment === null) return null;
  const authority = await authorityOrRefusal(deps, run);
  if (typeof authority === 'string') return authority;
  return policyGap(run, authority.environment);
}

type DeployedEnvironment = PipelineDefinition['environments'][number];

/** Why a run planned without approval falls short of `deployed`, the environment as deployed now, or null. */
function policyGap(run: RunRecord, deployed: DeployedEnvironment | undefined): string | null {
  if (run.plan.approval !== null || deployed?.approval.required !== true) return null;
  return `environment ${deployed.name} requires ${deployed.approval.minApprovals} approval(s) as pipeline ${run.pipeline} is deployed now, but run ${run.runId} was planned without approval`;
}

/**
 * Whether `check`'s refusal of the run is the configuration's doing alone: the run's execution is
 * still running, the pipeline as deployed differs from the one that execution runs
 * (DescribeStateMachineForExecution, the configuration the run was planned under), and against
 * that one the record passes, so it is what the planner wrote and since then a target moved, an
 * environment began to require approval, an approver left, or the deployed configuration became
 * unreadable. That is a refusal the team answers with a new run, not a forgery that pages
 * security. Anything else stays a forgery (fail closed): a record that falls short of its own
 * execution's pipeline too, an execution that has ended (a direct invoke naming an old one from
 * before a change), no change at all, or an execution whose pipeline cannot be read.
 */
export async function configurationChangedOnly<
  D extends {
    readonly pipelines: DeployedPipelines & ExecutionPipelines;
    readonly executions: Pick<ExecutionControl, 'executionStatus'>;
  },
>(
  deps: D,
  run: RunRecord,
  check: (deps: D, run: RunRecord) => Promise<string | null>,
  /** A run a cancel ended: its execution is stopping (nothing is released either way), so any state will do. */
  execution: 'running' | 'any' = 'running',
): Promise<boolean> {
  // A run is named after its execution: a record naming another run's execution is no planner's.
  if (!run.executionArn.endsWith(`:${run.runId}`)) return false;
  const planned = await deps.pipelines.pipelineOfExecution(run.executionArn).catch(() => undefined);
  if (planned === undefined) return false;
  const today = await deps.pipelines.definitionOf(stateMachineOf(run.executionArn)).catch(() => undefined);
  if (today !== undefined && isDeepStrictEqual(today, planned)) return false;
  if (
    execution === 'running' &&
    (await deps.executions.executionStatus(run.executionArn).catch(() => undefined)) !== 'RUNNING'
  )
    return false;
  const asPlanned: DeployedPipelines & ExecutionPipelines = {
    definitionOf: async () => planned,
    pipelineOfExecution: async () => planned,
  };
  return (await check({ ...deps, pipelines: asPlanned }, run)) === null;
}

/**
 * Whether a cancel (an operator's, or a newer run's supersede) ended the run just now, as a step
 * Step Functions had already invoked began: within a Lambda's longest run (15 minutes). A step
 * that reads a run cancelled longer ago is no such race: a direct invoke replaying an old run,
 * which still pages.
 */
export function cancelledJustNow(run: RunRecord, now: Date): boolean {
  if (run.status !== 'CANCELLED' || run.cancelledBy === undefined) return false;
  const ended = Date.parse(run.endedAt ?? run.updatedAt);
  return Number.isFinite(ended) && now.getTime() - ended <= CANCEL_RACE_MS;
}

const CANCEL_RACE_MS = 15 * 60_000;

/** What a refusal for a changed configuration adds: what to do about it. */
export function afterConfigurationChange(run: RunRecord, why: string): string {
  return `${why} (pipeline ${run.pipeline}'s configuration changed after run ${run.runId} was planned; \`gantry runs retry ${run.runId}\` plans the change again under today's)`;
}
