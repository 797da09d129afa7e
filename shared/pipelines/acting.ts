import type { RunRecord } from '../runs/model';
import type { RunStore } from '../runs/store';
import { AuthorityUnavailable, approverOf, authorityOver } from './authority';
import type { DeployedPipelines } from './ports';

/**
 * What a step that acts (deploys, reports a success) believes about its run: only the run record
 * the control plane wrote, and the pipeline as deployed now. Each check answers why the run may
 * not go on, or null. Callers record a non-null answer as `security.forged_input` and refuse.
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
  if (policy === null) return unplannedApproval(deps, run);
  const env = run.plan.environment;
  const approvals = Object.values(run.approval?.decisions ?? {}).filter((d) => d.decision === 'approve');
  if (run.approval?.outcome !== 'approved')
    return `environment ${env} requires ${policy.minApprovals} approval(s); run ${run.runId} has ${approvals.length} recorded (${run.approval?.outcome ?? (run.approval ? 'still pending' : 'none requested')})`;
  let authority: Awaited<ReturnType<typeof authorityOver>>;
  try {
    authority = await authorityOver(deps, run);
  } catch (error) {
    if (error instanceof AuthorityUnavailable) return error.message;
    throw error;
  }
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
 * Why a run planned without approval may not release anyway: the plan is the run record's word,
 * and the environment as deployed now requires approval. Gantry plans every run with its
 * environment's policy, so only a record written otherwise (or a policy added since the run was
 * planned) gets here. Fails closed when the deployed configuration cannot be read.
 */
async function unplannedApproval(deps: Pick<ActingDeps, 'pipelines'>, run: RunRecord): Promise<string | null> {
  if (!run.plan.deploy || run.plan.environment === null) return null;
  let authority: Awaited<ReturnType<typeof authorityOver>>;
  try {
    authority = await authorityOver(deps, run);
  } catch (error) {
    if (error instanceof AuthorityUnavailable) return error.message;
    throw error;
  }
  const required = authority.environment?.approval;
  if (required?.required !== true) return null;
  return `environment ${run.plan.environment} requires ${required.minApprovals} approval(s) as pipeline ${run.pipeline} is deployed now, but run ${run.runId} was planned without approval: start a new run, which asks for it`;
}

/**
 * Why the record does not say the run succeeded, so that ReportSuccess may not say so either:
 * it is running (or a retried report finds it succeeded), its gates passed, a gated environment
 * holds its approvals, and a run that deploys has a deployment Gantry closed as succeeded and a
 * bake that passed. An execution that got here otherwise had a task answered by hand, or was
 * invoked directly.
 */
export async function successShortfall(deps: ActingDeps, run: RunRecord): Promise<string | null> {
  if (run.status === 'SUCCEEDED') return null;
  if (run.status !== 'RUNNING') return `run ${run.runId} is ${run.status}, not RUNNING`;
  const unmet = (await gatesShortfall(deps, run)) ?? (await approvalShortfall(deps, run));
  if (unmet !== null) return unmet;
  if (!run.plan.deploy || run.plan.deployTarget === null) return null;
  const deployment = run.deployment;
  if (deployment?.status !== 'succeeded')
    return `run ${run.runId} deploys to ${run.plan.environment}, but its deployment ${deployment === undefined ? 'never started' : `is ${deployment.status}`}`;
  if (run.stages.deploy?.status !== 'succeeded')
    return `run ${run.runId}'s deployment to ${run.plan.environment} has not passed its bake`;
  return null;
}
