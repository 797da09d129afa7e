import { ulid } from 'ulid';
import { CONFIGURATION_DIGEST, type DeployTarget, ENDED_UNREPORTED, type RunPlan } from '../../events';
import { runFact } from '../audit/audit';
import { stopUnlessEnded } from '../aws/deployment-stop';
import { runIdOf } from '../deploy/appspec';
import { answerDeployment, atSite, type DeployDeps, siteOf } from '../deploy/outcome';
import { describeTarget, sameVersions } from '../deploy/target';
import { publishNotification, runEnded } from '../notify/publish';
import { buildClassOf } from '../pipelines/artifact-layout';
import { type Authority, AuthorityUnavailable, authorityOver, namesOf, operatorOf } from '../pipelines/authority';
import { branchSelected } from '../pipelines/branches';
import { stateMachineOf } from '../pipelines/definition';
import { approvalPolicyOf, buildProjectOf } from '../pipelines/plan';
import type { DeployedPipelines } from '../pipelines/ports';
import { enterLane, leaveLane } from '../pipelines/start';
import { ACTIVE_STATUSES, type RunRecord } from '../runs/model';
import { gantryRecord, subjectOf } from '../runs/subjects';

/** Why an operator action was refused; each code maps to one HTTP status in the operator API. */
export const OPERATOR_ERRORS = {
  run_not_found: 404,
  not_active: 409,
  still_active: 409,
  not_retryable: 409,
  not_deployed: 409,
  already_deployed: 409,
  nothing_to_roll_back: 409,
  ambiguous: 400,
  reason_required: 400,
  bad_digest: 400,
  not_applicable: 400,
  not_an_operator: 403,
  configuration_unavailable: 503,
  not_started: 503,
  not_announced: 503,
} as const;

export class OperatorActionError extends Error {
  override readonly name = 'OperatorActionError';
  readonly status: number;

  constructor(
    readonly code: keyof typeof OPERATOR_ERRORS,
    message: string,
  ) {
    super(message);
    this.status = OPERATOR_ERRORS[code];
  }
}

/** What operator actions need besides the deploy ports: the pipelines as deployed now. */
export interface OperatorDeps extends DeployDeps {
  readonly pipelines: DeployedPipelines;
}

export interface OperatorRequest {
  /** The caller's IAM principal, as STS named it from the caller's proof (caller-proof.ts). */
  readonly principal: string;
  readonly reason: string;
}

export interface RollbackRequest extends OperatorRequest {
  /** Roll back the environment this run deployed to, to the good revision before it… */
  readonly runId?: string;
  /** …or roll back what an environment runs now. */
  readonly environment?: string;
  readonly pipeline?: string;
}

export interface RollbackOutcome {
  readonly runId: string;
  readonly environment: string;
  readonly rollbackOf: string;
  readonly toRunId: string;
  readonly version: string;
  /** The rollback waits for its lane behind a run still active there (cancel that one to hurry it). */
  readonly queued: boolean;
}

/**
 * `gantry runs rollback`: redeploys the last good revision of an environment as a new run,
 * linked to the run it undoes and to the run that first released that revision, and audited.
 * The new run skips build and gates (the revision passed them) but not the approval.
 */
export async function rollback(deps: OperatorDeps, request: RollbackRequest): Promise<RollbackOutcome> {
  const reason = requireReason(request);
  const subject = request.runId ? await runOrFail(deps, request.runId) : await currentRelease(deps, request);
  const { actor, authority } = await authorizedOperator(deps, subject, request.principal);
  const { principal } = request;
  if (subject.environment === null || subject.plan.deployTarget === null) {
    throw new OperatorActionError('not_deployed', `run ${subject.runId} did not deploy to any environment`);
  }
  // Its approval policy is the deployed environment's: one gone from the configuration (or that
  // deploys nothing now) would otherwise ask for no approval at all.
  if (authority.environment?.deploy == null) {
    throw new OperatorActionError(
      'not_deployed',
      `environment ${subject.environment} ${authority.environment === undefined ? 'is not' : 'deploys nothing'} in pipeline ${subject.pipeline} as deployed now: nothing is rolled back into it; deploy the configuration that has it, then roll back`,
    );
  }
  // It releases with the environment's target as deployed now (its bake, timeout and strategy as
  // configured today; Deploy checks the target against it), but only onto what the undone run released to.
  const deployed = authority.environment.deploy;
  if (!sameVersions(deployed, subject.plan.deployTarget))
    throw new OperatorActionError(
      'not_deployed',
      `environment ${subject.environment} releases to another ${deployed.kind === 'lambda' ? 'function or alias' : 'service'} (or account) as pipeline ${subject.pipeline} is deployed now than run ${subject.runId} released to: a rollback would not undo it there; deploy a revert instead`,
    );
  const good = await lastGoodBefore(deps, subject, deployed);
  const version = good.deployment?.toVersion ?? '';
  const name = `rollback-${ulid().toLowerCase()}`;
  const plan: RunPlan = {
    ...good.plan,
    runId: name,
    executionArn: replaceName(subject.executionArn, name),
    trigger: 'rollback',
    skip: false,
    skipReason: null,
    deploy: true,
    deployTarget: deployed,
    // The approval the environment asks for today, not the one the undone run started with.
    approval: approvalPolicyOf(authority.environment),
    lane: subject.lane,
    rollback: { ofRunId: subject.runId, toRunId: good.runId, version, reason, requestedBy: actor },
    change: { ...good.plan.change, pusher: null, sender: null, deliveryId: `rollback:${name}`, eventId: name },
  };
  // A rollback takes its lane like any run: it waits behind the run active there.
  const busy = !(await enterLane(deps, subject.lane, name));
  await launch(deps, plan, subject.executionArn, busy, {
    actor,
    principal,
    action: 'rollback',
    reason,
    target: `${subject.environment}: back to version ${version} of run ${good.runId}, undoing run ${subject.runId}`,
  });
  // On the undone run too: its change's evidence (read by run) says it was rolled back, and by what.
  await deps.audit.record({
    type: 'operator.action',
    actor: { type: 'user', id: actor, providerIdentity: principal },
    subject: subjectOf(subject.plan),
    outcome: 'info',
    details: {
      action: 'rollback',
      reason,
      target: `${subject.environment}: undone by run ${name}, back to version ${version} of run ${good.runId}`,
      undoneBy: name,
    },
    correlationId: plan.change.deliveryId,
  });
  deps.logger.info('rollback started', { runId: name, of: subject.runId, to: good.runId, version });
  return {
    runId: name,
    environment: subject.environment,
    rollbackOf: subject.runId,
    toRunId: good.runId,
    version,
    queued: busy,
  };
}

export interface RetryRequest extends OperatorRequest {
  readonly runId: string;
  /**
   * A changed Lambda configuration the retry may release: its digest, as the `deploy.refused`
   * record that refused it names. Deploy releases a changed configuration only if it is exactly this.
   */
  readonly acceptConfiguration?: string;
}

export interface RetryOutcome {
  readonly runId: string;
  readonly retryOf: string;
  readonly commit: string;
  readonly environment: string | null;
  /** The new run waits for its lane behind a run still active there. */
  readonly queued: boolean;
}

/**
 * `gantry runs retry`: runs an ended run's commit again as a new run, linked to the one it
 * repeats and audited. It builds, gates and asks for the approval its environment requires
 * today, and whoever asked for it (and so accepted any configuration) may not approve it. It
 * takes its lane like any run.
 */
export async function retry(deps: OperatorDeps, request: RetryRequest): Promise<RetryOutcome> {
  const reason = requireReason(request);
  const accepted = acceptedDigest(request);
  const subject = await runOrFail(deps, request.runId);
  const { actor, authority } = await authorizedOperator(deps, subject, request.principal);
  const { principal } = request;
  if (ACTIVE_STATUSES.includes(subject.status))
    throw new OperatorActionError(
      'still_active',
      `run ${subject.runId} is ${subject.status}: cancel it first, or let it end`,
    );
  if (subject.plan.trigger === 'rollback')
    throw new OperatorActionError(
      'not_retryable',
      `run ${subject.runId} is a rollback: ask for a new one (gantry runs rollback)`,
    );
  if (subject.plan.skip)
    throw new OperatorActionError(
      'not_retryable',
      `run ${subject.runId} was skipped (${subject.plan.skipReason}): nothing to run again`,
    );
  const replan = replanned(subject, authority);
  if (accepted !== null && replan.deployTarget?.kind !== 'lambda')
    throw new OperatorActionError(
      'not_applicable',
      `run ${subject.runId} ${replan.deployTarget === null ? 'deploys nowhere' : 'releases to an ECS service'}: only a Lambda target's configuration is checked before it is released, so there is nothing to accept; retry without acceptConfiguration`,
    );
  const name = `retry-${ulid().toLowerCase()}`;
  const busy = !(await enterLane(deps, subject.lane, name));
  const plan: RunPlan = {
    ...replan,
    runId: name,
    executionArn: replaceName(subject.executionArn, name),
    retry: { ofRunId: subject.runId, reason, requestedBy: actor, acceptConfiguration: accepted },
  };
  const accepting = accepted === null ? '' : `, accepting Lambda configuration ${accepted}`;
  await launch(deps, plan, subject.executionArn, busy, {
    actor,
    principal,
    action: 'retry',
    reason,
    target: `commit ${subject.commit} again, as run ${name} (retry of run ${subject.runId})${accepting}`,
  });
  deps.logger.info('retry started', { runId: name, of: subject.runId, queued: busy });
  return {
    runId: name,
    retryOf: subject.runId,
    commit: subject.commit,
    environment: subject.environment,
    queued: busy,
  };
}

/** The configuration digest a retry accepts, checked for its shape (what it accepts, Deploy checks), or null. */
function acceptedDigest(request: RetryRequest): string | null {
  const digest = request.acceptConfiguration;
  if (digest === undefined) return null;
  if (!CONFIGURATION_DIGEST.test(digest)) throw new OperatorActionError('bad_digest', ACCEPT_CONFIGURATION_USAGE);
  return digest;
}

/** What an accepted configuration must look like, said where one is refused. */
export const ACCEPT_CONFIGURATION_USAGE =
  'acceptConfiguration is the configuration digest a deploy.refused record (check configuration) names: 64 lowercase hex digits';

/**
 * `gantry runs cancel`: a run that is deploying has its deployment stopped (CodeDeploy rolls
 * the traffic back) and fails with the operator's reason; any other active run is stopped.
 *
 * A cancel is finished by asking again: a run an operator's cancel already ended (its record
 * holds the cancel's own failure) is stopped, recorded and announced again in the first cancel's
 * words, so a ledger or bus that failed the first call loses neither `run.failed` nor the commit
 * status. Each step is idempotent: the ledger keeps the run's end once, the notifier sends once.
 */
export async function cancel(
  deps: OperatorDeps,
  request: OperatorRequest & { runId: string },
): Promise<{ outcome: 'deployment_stopped' | 'cancelled' }> {
  const reason = requireReason(request);
  const run = await runOrFail(deps, request.runId);
  const { actor } = await authorizedOperator(deps, run, request.principal);
  const { principal } = request;
  const ended = cancelledEnd(run);
  if (!ACTIVE_STATUSES.includes(run.status) && ended === undefined) {
    throw new OperatorActionError('not_active', `run ${run.runId} is ${run.status}: nothing to cancel`);
  }
  const landed = ended === undefined && run.deployment?.status === 'succeeded' ? run.deployment : undefined;
  if (landed !== undefined) {
    // Stopping the execution now would skip the bake check (the one step that sends traffic back
    // when an alarm fires) and leave the new version live with the run marked cancelled.
    const env = run.environment ?? 'its environment';
    throw new OperatorActionError(
      'already_deployed',
      `run ${run.runId} already moved ${env} to version ${landed.toVersion}: cancelling would leave that version live and skip its bake check, which sends traffic back by itself if an alarm fires. To undo the release, run \`gantry runs rollback ${run.runId} --reason "…"\`: it runs once this run's bake check has (and finds traffic already back if an alarm fired)`,
    );
  }
  await deps.audit.record({
    type: 'operator.action',
    actor: { type: 'user', id: actor, providerIdentity: principal },
    subject: subjectOf(run.plan),
    outcome: 'info',
    details: { action: 'cancel', reason, target: run.runId },
    correlationId: run.plan.change.deliveryId,
  });
  const deployment = run.deployment;
  if (ended === undefined && deployment?.status === 'in_progress' && deployment.deploymentId !== undefined) {
    // Noted first, so the run fails with these words whether this call or CodeDeploy's Stopped event closes it.
    const words = `stopped by ${actor}: ${reason}`;
    await deps.runs.requestStop(run.runId, words, deps.clock());
    await atSite(deps, siteOf(run.plan)).deploy.stopDeployment(deployment.deploymentId);
    await answerDeployment(
      deps,
      run.plan,
      { ...deployment, stopRequested: words },
      {
        deploymentId: deployment.deploymentId,
        status: 'Stopped',
        description: '',
        error: words,
        rolledBack: true,
      },
    );
    return { outcome: 'deployment_stopped' };
  }
  const now = ended === undefined ? deps.clock() : new Date(run.endedAt ?? run.updatedAt);
  const failure = ended ?? cancelFailure(actor, reason);
  const cancelled =
    ended !== undefined ||
    (await deps.runs.setStatus(
      run.runId,
      'CANCELLED',
      now,
      { cancelledBy: actor, endedAt: now.toISOString(), failure },
      ACTIVE_STATUSES,
    ));
  // The Deploy step may have opened or created its deployment after the read above: it writes the
  // id, then reads the run's status (and stops the deployment itself if it sees this cancel); this
  // call wrote the status and reads the deployment now, before anything else can fail. Whichever
  // wrote second, the other's read sees it. A deployment opened with no id yet may have been
  // created by a Deploy that died before noting it: it is found by the run id its description names.
  await stopDeploymentOf(deps, run, `stopped by ${actor}: ${reason}`);
  await deps.executions.stopExecution(run.executionArn, failure.error, failure.reason);
  await leaveLane(deps, run.lane, run.runId);
  // Its execution is stopped before it reports: the ledger's record of the run's end is this one
  // (once, as every run's), the event is its end for the notifier, and its rule has ReportStatus
  // post the commit's `error`. Only a cancel this call (or an earlier cancel) wrote is recorded and
  // announced, and only after everything is stopped: a ledger that fails here leaves nothing running.
  if (cancelled) {
    await deps.audit.record({
      ...gantryRecord(run.plan, 'run.failed', 'failure', failure),
      once: runFact(run.runId, 'run.ended'),
    });
    // Its Run Failed is what posts the commit's status: a bus that refuses it must not pass unseen.
    if (!(await publishNotification(deps, runEnded(run.plan, now, failure))))
      throw new OperatorActionError(
        'not_announced',
        `run ${run.runId} is cancelled and its end recorded, but the event bus refused its Run Failed event, so its commit status still says pending: run \`gantry runs cancel ${run.runId}\` again to announce it`,
      );
  }
  return { outcome: 'cancelled' };
}

/**
 * The end an operator's cancel wrote on a run (CANCELLED, with the cancel's failure), or
 * undefined: a superseded run, or one cancelled before cancels kept their words, is not one.
 */
function cancelledEnd(run: RunRecord): CancelEnd | undefined {
  const { failure } = run;
  if (run.status !== 'CANCELLED' || failure?.error !== ENDED_UNREPORTED.cancelled) return undefined;
  return { stage: 'cancelled', error: ENDED_UNREPORTED.cancelled, reason: failure.reason };
}

/** How an operator's cancel ends a run. */
type CancelEnd = {
  readonly stage: 'cancelled';
  readonly error: typeof ENDED_UNREPORTED.cancelled;
  readonly reason: string;
};

/** A cancelled run's end, as its `Run Failed` event says it. */
function cancelFailure(actor: string, reason: string): CancelEnd {
  return { stage: 'cancelled', error: ENDED_UNREPORTED.cancelled, reason: `cancelled by ${actor}: ${reason}` } as const;
}

/** Stops the deployment a run just ended has under way, if any (found by its id, or by its run). */
async function stopDeploymentOf(deps: OperatorDeps, run: RunRecord, words: string): Promise<void> {
  const deployment = (await deps.runs.get(run.runId))?.deployment;
  if (deployment?.status !== 'in_progress') return;
  const site = atSite(deps, siteOf(run.plan));
  let id = deployment.deploymentId;
  const target = run.plan.deployTarget;
  if (id === undefined && target) {
    const since = new Date(Date.parse(deployment.startedAt) - 5 * 60_000);
    id = (
      await site.deploy.findDeployment(
        target.application,
        target.deploymentGroup,
        since,
        ({ description }) => runIdOf(description) === run.runId,
      )
    )?.deploymentId;
  }
  if (id === undefined) return;
  await deps.runs.requestStop(run.runId, words, deps.clock());
  await stopUnlessEnded(site.deploy, id);
}

/**
 * Records a run an operator asked for (rollback or retry), audits who asked and its start, and
 * starts its execution with only the run's id: the execution loads the plan recorded here, never
 * one from its input. A start that fails ends the run FAILED and frees its lane.
 */
async function launch(
  deps: OperatorDeps,
  plan: RunPlan,
  executionOfSubject: string,
  queued: boolean,
  asked: { actor: string; principal: string; action: 'rollback' | 'retry'; reason: string; target: string },
): Promise<void> {
  const { actor, principal, action, reason, target } = asked;
  await deps.runs.create(plan, queued ? 'QUEUED' : 'RUNNING', deps.clock());
  const by = { type: 'user' as const, id: actor, providerIdentity: principal };
  const correlationId = plan.change.deliveryId;
  await deps.audit.record({
    type: 'operator.action',
    actor: by,
    subject: subjectOf(plan),
    outcome: 'info',
    details: { action, reason, target },
    correlationId,
  });
  await deps.audit.record({
    type: 'run.started',
    actor: by,
    subject: subjectOf(plan),
    outcome: 'info',
    details: {
      trigger: plan.trigger,
      branch: plan.branch,
      pullRequest: plan.pullRequest,
      deliveryId: correlationId,
      queued,
    },
    correlationId,
  });
  const pointer = action === 'rollback' ? { rollback: { runId: plan.runId } } : { retry: { runId: plan.runId } };
  await deps.executions
    .startExecution(stateMachineOf(executionOfSubject), plan.runId, pointer)
    .catch((error: unknown) => failUnstarted(deps, plan, error, action));
}

/** A rollback or retry whose execution never started ends FAILED, on the record, and frees its lane. */
async function failUnstarted(
  deps: OperatorDeps,
  plan: RunPlan,
  error: unknown,
  action: 'rollback' | 'retry',
): Promise<never> {
  const reason = `the ${action}'s execution could not be started (${error instanceof Error ? error.name : 'unknown error'}); ask again`;
  const now = deps.clock();
  await deps.runs.setStatus(
    plan.runId,
    'FAILED',
    now,
    { failure: { stage: 'internal', error: 'Gantry.NotStarted', reason }, endedAt: now.toISOString() },
    ACTIVE_STATUSES,
  );
  await deps.audit.record(
    gantryRecord(plan, 'run.failed', 'failure', { stage: 'internal', error: 'Gantry.NotStarted', reason }),
  );
  await leaveLane(deps, plan.lane, plan.runId);
  throw new OperatorActionError('not_started', reason);
}

function requireReason(request: OperatorRequest): string {
  const reason = request.reason.trim();
  if (reason === '') throw new OperatorActionError('reason_required', 'say why: --reason "…"');
  return reason;
}

async function runOrFail(deps: DeployDeps, runId: string): Promise<RunRecord> {
  const run = await deps.runs.get(runId);
  if (run === undefined) throw new OperatorActionError('run_not_found', `no run ${runId}`);
  return run;
}

/** A run whose deployment landed: traffic is on its version, whether or not its bake is over. */
function isLanded(run: RunRecord): boolean {
  return run.deployment?.status === 'succeeded' && (run.status === 'SUCCEEDED' || ACTIVE_STATUSES.includes(run.status));
}

/**
 * The run whose revision an environment serves now: its newest deployment that landed (a run
 * still baking included: its version takes the traffic).
 */
async function currentRelease(deps: DeployDeps, request: RollbackRequest): Promise<RunRecord> {
  const env = request.environment ?? '';
  const runs = (
    await deps.runs.list({ ...(request.pipeline ? { pipeline: request.pipeline } : {}), limit: 200 })
  ).filter((r) => r.environment === env && isLanded(r));
  const pipelines = [...new Set(runs.map((r) => r.pipeline))];
  if (pipelines.length > 1) {
    throw new OperatorActionError(
      'ambiguous',
      `${env} is deployed by ${pipelines.join(', ')}: say which with --pipeline`,
    );
  }
  const newest = runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (newest === undefined) throw new OperatorActionError('nothing_to_roll_back', `nothing was deployed to ${env} yet`);
  return newest;
}

/**
 * The newest run of the same lane, before `subject`, that released another version onto `site`
 * (the environment's target today) and succeeded. A version number or task definition names
 * something only where it was released: one released to another account or function before the
 * environment moved would restore whatever carries that number here.
 */
async function lastGoodBefore(deps: DeployDeps, subject: RunRecord, site: DeployTarget): Promise<RunRecord> {
  const good = (await deps.runs.list({ lane: subject.lane, limit: 100 }))
    .filter(
      (r) =>
        r.runId !== subject.runId &&
        r.createdAt < subject.createdAt &&
        released(r) &&
        r.plan.deployTarget !== null &&
        sameVersions(r.plan.deployTarget, site) &&
        r.deployment?.toVersion !== subject.deployment?.toVersion,
    )
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (good === undefined) {
    throw new OperatorActionError(
      'nothing_to_roll_back',
      `no good release of ${subject.environment} onto ${describeTarget(site)} before run ${subject.runId} to go back to`,
    );
  }
  return good;
}

function released(run: RunRecord): boolean {
  return run.status === 'SUCCEEDED' && run.deployment?.status === 'succeeded';
}

/**
 * The operator the caller acts as, under the pipeline's configuration as deployed now: one of
 * the pipeline's operators or of the run's environment (by default its approvers).
 */
async function authorizedOperator(
  deps: OperatorDeps,
  run: RunRecord,
  principal: string,
): Promise<{ actor: string; authority: Authority }> {
  const authority = await authorityOver(deps, run).catch((error: unknown) => {
    if (error instanceof AuthorityUnavailable)
      throw new OperatorActionError('configuration_unavailable', error.message);
    throw error;
  });
  const operator = operatorOf(authority, principal);
  if (operator !== undefined) return { actor: operator.identity, authority };
  const operators = [...authority.deployed.operators, ...(authority.environment?.operators ?? [])];
  throw new OperatorActionError(
    'not_an_operator',
    `${principal} may not act on runs of ${run.environment ?? `pipeline ${run.pipeline}`} (operators: ${namesOf(operators)}; configure them with operators: on the pipeline or the environment)`,
  );
}

/** `arn:…:execution:<machine>:<name>` → the same execution ARN with another name. */
function replaceName(executionArn: string, name: string): string {
  return `${executionArn.slice(0, executionArn.lastIndexOf(':'))}:${name}`;
}

/**
 * A retried run's plan, as the pipeline is deployed now: today's gates, build projects and
 * variables, deploy target and approval. Only the change (commit, ref, who took part) is the old
 * run's. A run whose branch the configuration no longer sends to its environment is refused.
 */
function replanned(subject: RunRecord, authority: Authority): RunPlan {
  const { plan } = subject;
  const { deployed, environment } = authority;
  if (
    plan.environment !== null &&
    (environment === undefined || !branchSelected(plan.branch ?? '', environment.branches))
  )
    throw new OperatorActionError(
      'not_retryable',
      `pipeline ${plan.pipeline} as deployed now no longer sends ${plan.branch ?? plan.ref ?? 'this ref'} to ${plan.environment}: push again instead`,
    );
  // The approval the environment asks for today, not the one the first run started with; it also
  // says which project builds (a gated one when approval is needed).
  const approval = plan.environment === null ? null : approvalPolicyOf(environment);
  const gantryVars = plan.build.env.filter((v) => v.name.startsWith('GANTRY_'));
  const configured = Object.entries(deployed.build.env).map(([name, value]) => ({
    name,
    value,
    type: 'PLAINTEXT' as const,
  }));
  const deployTarget = environment?.deploy ?? null;
  return {
    ...plan,
    gates: deployed.gates,
    concurrency: deployed.concurrency,
    build: {
      ...plan.build,
      projectName: buildProjectOf(deployed.build, buildClassOf({ build: plan.build, approval })),
      env: [...configured.filter((v) => !v.name.startsWith('GANTRY_')), ...gantryVars],
    },
    deploy: plan.environment !== null && deployTarget !== null,
    deployTarget: plan.environment === null ? null : deployTarget,
    approval,
  };
}
