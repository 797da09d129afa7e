import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type PipelineDefinition,
  type PlanRequest,
  type ResolveRequest,
  type RunPlan,
  type StartedRun,
  sourceEventDigest,
} from '../../events';
import { runFact } from '../audit/audit';
import { ACTIVE_STATUSES, type RunRecord } from '../runs/model';
import type { LaneHolder } from '../runs/store';
import { gantryRecord, subjectOf } from '../runs/subjects';
import { ForgedInputError, loadRetry, loadRollback, recordForgedInput, runOfExecution } from './ownership';
import { completeParticipants } from './participants';
import { resolvePlan } from './plan';
import {
  type AdmittedChanges,
  type ChangeHistory,
  type DeploymentStopper,
  type ExecutionPipelines,
  isDeadToken,
  type PipelineDeps,
} from './ports';
import { skipIfStale } from './stale';
import { postStatus } from './status';

/** A retried ResolvePlan found its run already ended: the execution must not go on. */
export class RunEndedError extends Error {
  override readonly name = 'Gantry.RunEnded';
}

/** ResolvePlan's ports: the pipeline's, the deliveries the receiver verified, and the provider's history. */
export type ResolveDeps = PipelineDeps & {
  readonly admissions: AdmittedChanges;
  /** The pipeline the execution runs: the one its state machine carries, not the payload's. */
  readonly pipelines: ExecutionPipelines;
  readonly history?: ChangeHistory;
  readonly deployments?: DeploymentStopper;
};

/**
 * ResolvePlan: a change's run is planned and recorded here; a rollback's run was recorded by the
 * operator API, and its execution only loads it (after checking it is this execution's).
 */
export async function resolveRun(deps: ResolveDeps, request: ResolveRequest): Promise<StartedRun> {
  const { start, execution } = request;
  if ('rollback' in start) {
    const { plan, queued } = await loadRollback(deps, start.rollback.runId, execution.id);
    return { ...plan, waitForTurn: queued };
  }
  if ('retry' in start) {
    const { plan, queued } = await loadRetry(deps, start.retry.runId, execution.id);
    return { ...plan, waitForTurn: queued };
  }
  const { source, trigger } = start;
  const pipeline = await pipelineOfExecution(deps, request);
  const admitted = await deps.admissions.admittedDigest(source, source.eventId);
  const why =
    admitted === undefined
      ? `no verified delivery ${source.deliveryId} from ${source.provider} holds event ${source.eventId}`
      : admitted !== sourceEventDigest(source)
        ? `event ${source.eventId} differs from what the webhook receiver verified and published`
        : source.repository.fullName !== pipeline.source.repository || source.provider !== pipeline.source.provider
          ? `event ${source.eventId} is for ${source.provider} ${source.repository.fullName}, not ${pipeline.source.provider} ${pipeline.source.repository}`
          : source.kind !== trigger
            ? `event ${source.eventId} is a ${source.kind}, not a ${trigger} (a pull request is never a push)`
            : execution.name.toLowerCase() !== admissionName(pipeline.name, source.eventId)
              ? `execution ${execution.name} is not the one admission names after event ${source.eventId}: an event runs once`
              : null;
  if (why !== null) {
    const pointer = { runId: execution.name, repository: source.repository.fullName, commit: source.headSha };
    await recordForgedInput(deps, pointer, undefined, execution.id, 'resolve-plan', why);
    throw new ForgedInputError(`plan refused: ${why}`);
  }
  return startRun(deps, { pipeline, execution, trigger, source });
}

/**
 * The pipeline a change's run is planned for: the one the execution's own state machine carries
 * for it. The payload's copy is only compared: ResolvePlan invoked directly (or with a payload
 * naming another pipeline, racing to adopt a run recorded for it) is refused and recorded.
 */
async function pipelineOfExecution(deps: ResolveDeps, request: ResolveRequest): Promise<PipelineDefinition> {
  const { execution, pipeline: claimed } = request;
  let why: string | null = null;
  let running: PipelineDefinition | undefined;
  if (!execution.id.endsWith(`:${execution.name}`)) {
    why = `execution name ${execution.name} is not the name in execution ${execution.id}`;
  } else {
    running = await deps.pipelines.pipelineOfExecution(execution.id).catch((error: unknown) => {
      why = `execution ${execution.id} runs no pipeline Gantry deployed (${error instanceof Error ? error.message : 'unknown error'})`;
      return undefined;
    });
    if (running !== undefined && !isDeepStrictEqual(running, claimed))
      why = `the input's pipeline ${claimed.name} differs from the one the state machine of execution ${execution.id} carries (pipeline ${running.name})`;
  }
  if (why === null && running !== undefined) return running;
  const source = 'source' in request.start ? request.start.source : undefined;
  const pointer = {
    runId: execution.name,
    repository: source?.repository.fullName ?? null,
    commit: source?.headSha ?? null,
    pipeline: claimed.name,
  };
  const reason = why ?? `execution ${execution.id} runs no pipeline`;
  await recordForgedInput(deps, pointer, undefined, execution.id, 'resolve-plan', reason);
  throw new ForgedInputError(`plan refused: ${reason}`);
}

/** The execution name admission gives an event's run of a pipeline: `States.Hash('<pipeline>#<eventId>', 'SHA-256')`, hex. */
export function admissionName(pipeline: string, eventId: string): string {
  return createHash('sha256').update(`${pipeline}#${eventId}`, 'utf8').digest('hex');
}

/**
 * An input ResolvePlan cannot read never came from admission (which always sends a change) nor
 * from the operator API (which sends a rollback's id): someone started the execution by hand.
 */
export async function recordUnreadableStart(deps: PipelineDeps, event: unknown, message: string): Promise<void> {
  const execution = (event as { execution?: { id?: unknown; name?: unknown } } | null)?.execution;
  const executionArn = typeof execution?.id === 'string' ? execution.id : 'unknown';
  const runId = typeof execution?.name === 'string' ? execution.name : 'unknown';
  deps.logger.warn('execution started with an input no control-plane path sends', { executionArn, message });
  await recordForgedInput(deps, { runId }, undefined, executionArn, 'resolve-plan', message);
}

/**
 * Plans a run and records it. A run whose lane (pipeline + environment) is busy is QUEUED under
 * the `queued` policy; under `superseded` the older runs of the lane are stopped instead. A push
 * its ref is known to have moved on from (a late delivery) is skipped: it neither waits for nor
 * stops the newer push's run.
 */
export async function startRun(
  deps: PipelineDeps & { readonly history?: ChangeHistory; readonly deployments?: DeploymentStopper },
  request: PlanRequest,
): Promise<StartedRun> {
  // A late delivery of a push its ref has moved on from is skipped before it can queue or supersede.
  const plan = await completeParticipants(deps, await skipIfStale(deps, resolvePlan(request)), request.source);
  if (plan.skip) {
    deps.logger.info('run skipped', { runId: plan.runId, pipeline: plan.pipeline, reason: plan.skipReason });
    await deps.audit.record({
      type: 'run.skipped',
      actor: { type: 'system', id: 'gantry', providerIdentity: plan.change.sender ?? plan.change.pusher },
      subject: subjectOf(plan),
      outcome: 'info',
      details: { trigger: plan.trigger, pullRequest: plan.pullRequest, reason: plan.skipReason ?? 'skipped' },
      correlationId: plan.change.deliveryId,
      once: runFact(plan.runId, 'run.skipped'),
    });
    return { ...plan, waitForTurn: false };
  }
  const now = deps.clock();
  // A retried ResolvePlan of a run that has ended since (superseded, cancelled) goes no further.
  const existing = await deps.runs.get(plan.runId);
  if (existing !== undefined && !ACTIVE_STATUSES.includes(existing.status))
    throw new RunEndedError(`run ${plan.runId} is ${existing.status}: its execution goes no further`);
  const lane = await deps.runs.list({ lane: plan.lane, limit: 20 });
  const others = lane.filter((r) => r.runId !== plan.runId && ACTIVE_STATUSES.includes(r.status));
  // Runs an earlier attempt of this step superseded: their end may not be on record yet.
  const cancelledHere = lane.filter((r) => r.status === 'CANCELLED' && r.cancelledBy === plan.runId);
  // Superseding takes the lane from older runs of changes, never from an operator's rollback:
  // while one is under way, the change waits for it.
  const superseding = plan.concurrency === 'superseded' && !others.some((r) => r.plan.trigger === 'rollback');
  const queued = !(await enterLane(deps, plan.lane, plan.runId, { force: superseding }));
  const record = await deps.runs.create(plan, queued ? 'QUEUED' : 'RUNNING', now);
  if (superseding)
    await supersede(deps, plan, [...others.filter((r) => r.createdAt <= record.createdAt), ...cancelledHere]);
  await deps.audit.record({
    type: 'run.started',
    actor: { type: 'system', id: 'gantry', providerIdentity: plan.change.pusher },
    subject: {
      repository: plan.repository,
      commit: plan.commit,
      runId: plan.runId,
      environment: plan.environment,
      pipeline: plan.pipeline,
    },
    outcome: 'info',
    details: {
      trigger: plan.trigger,
      branch: plan.branch,
      pullRequest: plan.pullRequest,
      deliveryId: plan.change.deliveryId,
      queued,
    },
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, 'run.started'),
  });
  await postStatus(deps, plan, 'pending', queued ? 'Queued behind an earlier run' : 'Building and checking the change');
  await reportSupersededMeanwhile(deps, plan);
  deps.logger.info('run started', {
    runId: plan.runId,
    pipeline: plan.pipeline,
    environment: plan.environment,
    status: record.status,
  });
  return { ...plan, waitForTurn: record.status === 'QUEUED' };
}

/**
 * A newer run may supersede this one while it is being planned (or an operator cancel it): the
 * `error` it posts on this commit can come before this one's `pending`, which would then stay for
 * good (the execution is stopped). Read again after posting, and say it again. (The same commit's
 * newer run speaks there itself.)
 */
async function reportSupersededMeanwhile(deps: PipelineDeps, plan: RunPlan): Promise<void> {
  const now = await deps.runs.get(plan.runId);
  if (now?.status !== 'CANCELLED' || now.cancelledBy === undefined) return;
  const newer = await deps.runs.get(now.cancelledBy);
  // An operator's cancel (`cancelledBy` names a person) may have been reported before this pending too.
  if (newer === undefined) await postStatus(deps, plan, 'error', `cancelled by ${now.cancelledBy}`);
  else if (newer.commit !== plan.commit) await postStatus(deps, plan, 'error', supersededWords(newer.plan));
}

/** What a superseded run's commit says. */
function supersededWords(newer: RunPlan): string {
  return `Superseded by run ${newer.runId}, a newer change (${newer.commit.slice(0, 12)})`;
}

/**
 * Stops the older active runs of the lane (the superseded policy): each is CANCELLED, its
 * execution stopped, and a deployment it had under way stopped too (CodeDeploy rolls its traffic
 * back), so the older release neither finishes after the newer one nor blocks its deployment group.
 */
async function supersede(
  deps: PipelineDeps & { readonly deployments?: DeploymentStopper },
  plan: RunPlan,
  older: readonly RunRecord[],
): Promise<void> {
  const warn = (run: RunRecord, what: string) => (error: unknown) => {
    deps.logger.warn(what, { runId: run.runId, error: error instanceof Error ? error.name : 'unknown' });
  };
  for (const run of older) {
    const cancelled =
      (ACTIVE_STATUSES.includes(run.status) &&
        (await deps.runs.setStatus(
          run.runId,
          'CANCELLED',
          deps.clock(),
          { cancelledBy: plan.runId, endedAt: deps.clock().toISOString() },
          ACTIVE_STATUSES,
        ))) ||
      // Cancelled by this run already (an earlier attempt of this step, which may have died
      // before its record; the listing may also lag): stopped again and recorded, once.
      (await deps.runs.get(run.runId))?.cancelledBy === plan.runId;
    if (!cancelled) continue;
    // Stopped first, whatever the ledger does next: a retry of this step no longer sees the run
    // (it is CANCELLED), so nothing after a failure here would stop it.
    await deps.executions
      .stopExecution(run.executionArn, 'Gantry.Superseded', `superseded by run ${plan.runId}`)
      .catch(warn(run, 'superseded execution did not stop'));
    // The listing index may lag: the run's own record says whether a deployment is under way.
    const record = await deps.runs.get(run.runId);
    const deployment = record?.deployment;
    if (record && deployment?.status === 'in_progress' && deployment.deploymentId !== undefined)
      await deps.deployments
        ?.stopDeployment(deployment.deploymentId, {
          account: record.plan.deployTarget?.account ?? null,
          runId: record.runId,
        })
        .catch(warn(run, 'superseded deployment did not stop'));
    // The ledger says how it ended and which run ended it (nothing else will: its execution is
    // stopped before it reports, and the sweep leaves cancelled runs alone). A retry of this step
    // finds the run cancelled by this one and writes it then; its key keeps it to one record.
    await deps.audit.record({
      ...gantryRecord(run.plan, 'run.failed', 'failure', {
        stage: run.status === 'QUEUED' ? 'queue' : 'superseded',
        error: 'Gantry.Superseded',
        reason: `superseded by run ${plan.runId} (${plan.commit.slice(0, 12)}), a newer change to lane ${run.lane}`,
      }),
      once: runFact(run.runId, 'run.ended'),
    });
    // Its commit would otherwise show pending for good (its execution never reports). The same
    // commit shows the newer run's pending next, in the same context: nothing to say there.
    if (run.plan.commit !== plan.commit) await postStatus(deps, run.plan, 'error', supersededWords(plan));
    deps.logger.info('run superseded', { runId: run.runId, by: plan.runId });
  }
}

/**
 * Takes the lane for a new run (compare-and-set on the lane's lock item, not a query over an
 * eventually consistent index): true when the run may go now, false when it must queue. A lane
 * held by a run that has ended (or was never recorded) is taken over. `force` takes the lane
 * whoever holds it (the superseded policy, which then stops the older runs).
 */
export async function enterLane(
  deps: Pick<PipelineDeps, 'runs' | 'clock'>,
  lane: string,
  runId: string,
  options: { force?: boolean } = {},
): Promise<boolean> {
  if (await deps.runs.takeLane(lane, runId, deps.clock(), options)) return true;
  const holder = await deps.runs.laneHolder(lane);
  if (holder === undefined) return deps.runs.takeLane(lane, runId, deps.clock());
  if (await holds(deps, holder)) return false;
  return deps.runs.takeLane(lane, runId, deps.clock(), { from: holder.runId });
}

/** A lane is taken before its run is recorded: a holder with no record yet holds it this long. */
const RECORDING_GRACE_MS = 5 * 60_000;

/** Whether a lane's holder still holds it: its run has not ended (or is still being recorded). */
async function holds(deps: Pick<PipelineDeps, 'runs' | 'clock'>, holder: LaneHolder): Promise<boolean> {
  const run = await deps.runs.get(holder.runId);
  if (run === undefined) return deps.clock().getTime() - Date.parse(holder.since) < RECORDING_GRACE_MS;
  return ACTIVE_STATUSES.includes(run.status);
}

/**
 * A queued run parks its task token; it goes on at once if its lane emptied meanwhile (the
 * earlier run may have finished between planning and now). The token is kept only on the run
 * this very execution recorded, and only while it is QUEUED: whoever parks a token there is
 * answered when the lane comes free, so a token parked on another execution's run (a bogus one
 * closes that run as gone; another task's would be answered "admitted") is refused and recorded.
 */
export async function waitForTurn(
  deps: PipelineDeps,
  plan: RunPlan,
  taskToken: string,
  executionArn: string,
): Promise<void> {
  const owned = await runOfExecution(deps, plan, executionArn, 'wait-turn');
  if ('refused' in owned) throw new ForgedInputError(`wait-turn refused: ${owned.refused}`);
  const { run } = owned;
  if (run.status !== 'QUEUED') {
    // A retried WaitTurn of a run already let in: its lane is its own, and its token was answered.
    if (run.status === 'RUNNING') return;
    throw new RunEndedError(`run ${run.runId} is ${run.status}: its execution goes no further`);
  }
  await deps.runs.update(plan.runId, { laneToken: taskToken }, deps.clock());
  try {
    await admitNext(deps, plan.lane);
  } catch (error) {
    // The run is parked either way: the next run to end hands the lane on again.
    deps.logger.warn('lane not handed on while parking', {
      runId: plan.runId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}

/** The run that ended gives its lane up and hands it to the next queued run. */
export async function leaveLane(deps: PipelineDeps, lane: string, runId: string): Promise<void> {
  await deps.runs.releaseLane(lane, runId);
  await admitNext(deps, lane);
}

/**
 * Hands a free lane to its oldest queued run that is still alive (called when a run ends, and
 * by a queued run itself). The lane's lock item decides: a lane held by an active run is left
 * alone; one that is free, or held by a run that ended without letting go, is taken for the next
 * run by compare-and-set, so two callers never admit two runs. Only whoever moves that run from
 * QUEUED to RUNNING answers its token. A queued run whose execution has ended (its wait timed
 * out, someone stopped it) is closed FAILED and the next one is tried: a dead waiter never
 * blocks the lane.
 */
export async function admitNext(deps: PipelineDeps, lane: string): Promise<void> {
  const holder = await deps.runs.laneHolder(lane);
  if (holder !== undefined) {
    const run = await deps.runs.get(holder.runId);
    // The lane was given to a queued run whose token was not answered yet (a handover cut short).
    if (run?.status === 'QUEUED' && run.laneToken !== undefined) {
      if (await resume(deps, run.runId, run.laneToken, lane)) return;
    } else if (await holds(deps, holder)) return;
  }
  const queued = (await deps.runs.list({ lane, limit: 50 }))
    .filter((r) => r.status === 'QUEUED' && r.laneToken !== undefined && r.runId !== holder?.runId)
    .reverse();
  let from = holder?.runId;
  for (const next of queued) {
    if (next.laneToken === undefined) continue;
    if (!(await deps.runs.takeLane(lane, next.runId, deps.clock(), from === undefined ? {} : { from }))) return;
    if (await resume(deps, next.runId, next.laneToken, lane)) return;
    from = next.runId;
  }
  // Nobody to hand the lane to: a run it was handed to in vain lets go of it.
  if (from !== undefined && from !== holder?.runId) await deps.runs.releaseLane(lane, from);
}

/**
 * Moves a run that holds the lane from QUEUED to RUNNING and answers its token; only whoever
 * makes that move answers. False when its execution has ended: the run is closed FAILED.
 */
async function resume(deps: PipelineDeps, runId: string, token: string, lane: string): Promise<boolean> {
  if (!(await deps.runs.setStatus(runId, 'RUNNING', deps.clock(), {}, ['QUEUED']))) {
    // Someone else resumed it (it runs: the lane is its), or it ended meanwhile (try the next).
    return (await deps.runs.get(runId))?.status === 'RUNNING';
  }
  try {
    await deps.executions.sendTaskSuccess(token, { admitted: true });
    return true;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown';
    if (!isDeadToken(error)) {
      // Step Functions did not answer (after the SDK's own retries): undo the handover, so the
      // lane is not held by a run that never heard, and fail the step, whose Retry hands it on again.
      await deps.runs.setStatus(runId, 'QUEUED', deps.clock(), {}, ['RUNNING']);
      await deps.runs.releaseLane(lane, runId);
      deps.logger.warn('queued run could not be resumed; the handover is undone', { runId, lane, error: name });
      throw error;
    }
    const reason = `its execution ended while it waited for its lane (${name})`;
    const now = deps.clock();
    const failure = { stage: 'plan', error: 'Gantry.QueuedRunGone', reason } as const;
    if (await deps.runs.setStatus(runId, 'FAILED', now, { failure, endedAt: now.toISOString() }, ['RUNNING'])) {
      // The ledger says so; the commit keeps its pending status: the lane's keeper (which may
      // answer tasks) holds no provider token and talks to no provider.
      const run = await deps.runs.get(runId);
      if (run !== undefined)
        await deps.audit.record({
          ...gantryRecord(run.plan, 'run.failed', 'failure', failure),
          once: runFact(runId, 'run.ended'),
        });
    }
    deps.logger.warn('queued run closed: its execution has ended', { runId, lane, error: name });
    return false;
  }
}
