import { ENDED_UNREPORTED, type FailureSummary, type RunPlan, type StateFailure } from '../../events';
import { runFact } from '../audit/audit';
import { stopUnlessEnded } from '../aws/deployment-stop';
import { publishNotification, runEnded } from '../notify/publish';
import { ACTIVE_STATUSES, type RunRecord } from '../runs/model';
import { gantryRecord, subjectOf } from '../runs/subjects';
import { cancelledJustNow, successShortfall } from './acting';
import { ForgedInputError, recordForgedInput, requireAdmitted, runOfExecution } from './ownership';
import type { DeployedPipelines, DeploymentStopper, PipelineDeps, StopSite } from './ports';
import { leaveLane } from './start';
import { postStatus } from './status';

/** RecordFailure's ports: the pipeline's, and CodeDeploy, to stop a deployment nobody else will end. */
export type FailureDeps = PipelineDeps & { readonly deployments?: DeploymentStopper };

/**
 * RecordFailure: says in words what failed, on the run record and in the audit trail. A task
 * token's failure is believed only as far as the record bears it out: Gantry's own answers close
 * the run's approval or deployment first. Anyone else's (SendTaskFailure with a token from the
 * execution's history) is recorded as such, in quotes, and a deployment it would have left
 * running while the lane is handed on is stopped first.
 */
export async function recordFailure(
  deps: FailureDeps,
  input: RunPlan,
  stage: string,
  failure: StateFailure,
  executionArn: string,
): Promise<FailureSummary> {
  const owned = await runOfExecution(deps, input, executionArn, 'record-failure');
  if ('refused' in owned) return { stage: 'internal', error: 'Gantry.ForgedInput', reason: owned.refused };
  const plan = owned.run.plan;
  const summary =
    (await handMadeFailure(deps, owned.run, stage, failure, executionArn)) ??
    describeFailure(plan, stage, failure, owned.run);
  const now = deps.clock();
  if (summary.stage !== 'internal') {
    await deps.runs.setStage(
      plan.runId,
      summary.stage,
      { status: 'failed', startedAt: now.toISOString(), endedAt: now.toISOString(), summary: summary.reason },
      now,
    );
  }
  if (summary.stage === 'approval' && summary.error === 'States.Timeout') {
    // Closed by this step now, or by this step's earlier attempt (whose record may not have gone out).
    const expired =
      (await deps.runs.closeApproval(plan.runId, 'expired', now)) ||
      (await deps.runs.get(plan.runId))?.approval?.outcome === 'expired';
    if (expired) {
      await deps.audit.record({
        type: 'approval.expired',
        actor: { type: 'system', id: 'gantry', providerIdentity: null },
        subject: subjectOf(plan),
        outcome: 'failure',
        details: { reason: summary.reason },
        correlationId: plan.change.deliveryId,
        once: runFact(plan.runId, 'approval.expired'),
      });
    }
  }
  await deps.runs.setStatus(
    plan.runId,
    'FAILED',
    now,
    { failure: summary, endedAt: now.toISOString() },
    ACTIVE_STATUSES,
  );
  deps.logger.warn('run failed', { runId: plan.runId, stage: summary.stage, reason: summary.reason });
  return summary;
}

/**
 * ClosePlanFailure: ResolvePlan failed (or was killed) after it may have recorded the run. The run
 * this very execution recorded, if any and still active, ends FAILED with the reason, its commit
 * status and a `run.failed` record; its plan is returned so that ReleaseLane can hand the lane on.
 * An execution that recorded no run (a forged input, a failure before the record) closes nothing.
 */
export async function closeUnplanned(
  deps: PipelineDeps,
  runId: string,
  failure: StateFailure,
  executionArn: string,
): Promise<{ readonly plan: RunPlan | null; readonly summary: FailureSummary }> {
  const summary: FailureSummary = {
    stage: 'plan',
    error: failure.Error,
    reason: `the run could not be planned: ${firstLine(failure.Cause ?? '') || failure.Error}`,
  };
  const run = await deps.runs.get(runId);
  if (run === undefined || run.executionArn !== executionArn) return { plan: null, summary };
  const { plan } = run;
  const now = deps.clock();
  const closed = await deps.runs.setStatus(
    plan.runId,
    'FAILED',
    now,
    { failure: summary, endedAt: now.toISOString() },
    ACTIVE_STATUSES,
  );
  // A retried close (the ledger refused the first time) finishes what the first one began: the
  // plan stage is marked failed last, so it says whether the status and the record went out.
  const unfinished = run.status === 'FAILED' && run.failure?.stage === 'plan' && run.stages.plan?.status !== 'failed';
  if (!closed && !unfinished) return { plan, summary };
  const said = closed ? summary : (run.failure ?? summary);
  await postStatus(deps, plan, 'error', said.reason);
  await deps.audit.record({
    ...gantryRecord(plan, 'run.failed', 'failure', { stage: 'plan', error: said.error, reason: said.reason }),
    once: runFact(plan.runId, 'run.ended'),
  });
  await deps.runs.setStage(
    plan.runId,
    'plan',
    { status: 'failed', startedAt: now.toISOString(), endedAt: now.toISOString(), summary: said.reason },
    now,
  );
  await publishNotification(deps, runEnded(plan, now, said));
  deps.logger.warn('run failed while planning', { runId: plan.runId, reason: summary.reason });
  return { plan, summary };
}

/** ReportStatus's ports: the pipeline's, and the pipelines as deployed (who is still an approver). */
export type ReportDeps = PipelineDeps & { readonly pipelines: DeployedPipelines };

/**
 * ReportStatus: the commit status, the run record's final word, and the audit record. It says
 * only what the run record says, never what its input claims (a direct invoke names any outcome
 * and failure text it likes): a success only for a run whose record holds one (gates, approvals,
 * deployment; see `successShortfall`), a failure only for a run RecordFailure closed as FAILED,
 * in the words it recorded. Anything else is refused as forged input.
 */
export async function finishRun(
  deps: ReportDeps,
  input: RunPlan,
  outcome: 'success' | 'failure',
  executionArn: string,
): Promise<void> {
  const owned = await runOfExecution(deps, input, executionArn, 'report-status');
  // A forged execution posts nothing and closes nothing: it is recorded, then ends.
  if ('refused' in owned) return;
  const { run } = owned;
  if (outcome === 'success') await requireAdmitted(deps, run, executionArn, 'report-status');
  if (outcome === 'failure' && (run.status === 'SUCCEEDED' || run.status === 'CANCELLED')) {
    // Its final word is already said (a step after ReportSuccess failed, or an operator cancelled): it stands.
    deps.logger.warn('failure not reported: the run has ended otherwise', { runId: run.runId, status: run.status });
    return;
  }
  // Cancelled or superseded as this step began: its end, and its commit's status, are the
  // cancel's (reportEnded) or the newer run's to say, if its evidence is whole. Short of it, the
  // page names what it lacks.
  const cancelled = outcome === 'success' && cancelledJustNow(run, deps.clock());
  const short = cancelled ? await successShortfall(deps, { ...run, status: 'RUNNING' }) : null;
  if (cancelled && short === null) {
    deps.logger.warn('success not reported: the run was cancelled', { runId: run.runId, by: run.cancelledBy });
    return;
  }
  const why = cancelled
    ? `${short} (and it was CANCELLED by ${run.cancelledBy})`
    : outcome === 'success'
      ? await successShortfall(deps, run)
      : run.status !== 'FAILED'
        ? `run ${run.runId} is ${run.status}: no failure is on its record`
        : null;
  if (why !== null) {
    const reason = `report-status was asked to report ${outcome}, but ${why}`;
    await recordForgedInput(deps, input, run, executionArn, 'report-status', reason);
    throw new ForgedInputError(reason);
  }
  const failure = run.failure ?? unknownFailure;
  const plan = run.plan;
  const now = deps.clock();
  await postStatus(deps, plan, outcome, outcome === 'success' ? successDescription(plan) : failure.reason);
  await deps.runs.setStage(
    plan.runId,
    'report',
    {
      status: 'succeeded',
      startedAt: now.toISOString(),
      endedAt: deps.clock().toISOString(),
      summary: `commit status ${outcome}`,
    },
    deps.clock(),
  );
  const ended =
    outcome === 'success'
      ? gantryRecord(plan, 'run.succeeded', 'success', { deployed: plan.deploy })
      : gantryRecord(plan, 'run.failed', 'failure', {
          stage: failure.stage,
          error: failure.error,
          reason: failure.reason,
        });
  await deps.audit.record({ ...ended, once: runFact(plan.runId, 'run.ended') });
  // A success is the run's final word, written last so whoever sees it sees every stage too.
  // (A failure was already recorded by RecordFailure, so a run whose report fails still ends.)
  if (outcome === 'success') {
    await deps.runs.setStatus(
      plan.runId,
      'SUCCEEDED',
      deps.clock(),
      { endedAt: deps.clock().toISOString() },
      ACTIVE_STATUSES,
    );
  }
  // After the run's final word; a retried ReportStatus publishes again and the notifier sends once.
  await publishNotification(deps, runEnded(plan, deps.clock(), outcome === 'success' ? undefined : failure));
  deps.logger.info('run finished', { runId: plan.runId, outcome });
}

/**
 * ReportStatus, for a run that ended without reaching it: an operator cancelled it, or the sweep
 * closed it after its execution ended. Both announce `Run Failed`, whose bus rule hands over only
 * the run's id; its commit status would otherwise stay `pending` for good. The status says
 * `error` in the record's own words, and only for a run whose record ended that way: whatever the
 * event that led here claimed, a run still going, one that ended otherwise, or an unknown one gets
 * nothing. A replayed event posts the same status again.
 *
 * A provider that does not answer (or answers 5xx, 429, or refuses the token) fails the invocation:
 * nothing else would ever post the status, so Lambda tries twice more and then leaves the event in
 * the triggers dead-letter queue, whose alarm asks for `gantry dlq redrive --queue triggers` once
 * the provider (or its token) is back. A refusal no retry changes (404, 422) is only logged.
 */
export async function reportEnded(deps: ReportDeps, runId: string): Promise<void> {
  const end = await speakingLast(deps, await unreportedEnd(deps, runId));
  if ('unsaid' in end) {
    deps.logger.warn('ended run not reported', { runId, why: end.unsaid });
    return;
  }
  const posted = await postStatus(deps, end.run.plan, 'error', end.said);
  if (!posted.posted && posted.retryLater)
    throw new Error(
      `the provider did not take the commit status of run ${runId} (${end.run.status}); Lambda retries, then leaves the event in the triggers dead-letter queue for \`gantry dlq redrive --queue triggers\``,
    );
  if (!posted.posted) {
    // Refused for good (the commit is gone, the status malformed) or not sent (no token): logged above.
    deps.logger.warn('ended run not reported: the provider refused its status', { runId });
    return;
  }
  deps.logger.info('ended run reported', { runId, status: end.run.status });
}

/** What a cancelled or swept run's commit status says, or why it says nothing. */
type UnreportedEnd = { readonly run: RunRecord; readonly said: string } | { readonly unsaid: string };

/** What the commit status of a run's end no ReportStatus step saw says, or why it says nothing. */
async function unreportedEnd(deps: ReportDeps, runId: string): Promise<UnreportedEnd> {
  const run = await deps.runs.get(runId);
  if (run === undefined) return { unsaid: `no run ${runId} is recorded` };
  if (run.status === 'FAILED' && run.failure?.error === ENDED_UNREPORTED.reconciled)
    return { run, said: run.failure.reason };
  if (run.status !== 'CANCELLED')
    return { unsaid: `run ${runId} is ${run.status}${run.failure ? ` (${run.failure.error})` : ''}` };
  const by = run.cancelledBy;
  // Superseded: ResolvePlan said so on its commit, or the same commit's newer run speaks there now.
  if (by !== undefined && (await deps.runs.get(by)) !== undefined)
    return { unsaid: `run ${runId} was superseded by run ${by}, whose ResolvePlan reported it` };
  return { run, said: by === undefined ? 'cancelled' : `cancelled by ${by}` };
}

/**
 * An end no newer run of the same commit has spoken over: a retry of a cancelled run reports on
 * the same commit and context, and an event replayed late (or put by any function that may put
 * pipeline events) must not turn its green back to error.
 */
async function speakingLast(deps: ReportDeps, end: UnreportedEnd): Promise<UnreportedEnd> {
  if ('unsaid' in end) return end;
  const { run } = end;
  // A commit's status context is the pipeline's (and environment's), not the lane's: pull requests
  // of one head commit into two branches run in two lanes and report in one context. So every run
  // of the pipeline since this one is looked at; more than can be read says nothing (fail closed).
  const since = await deps.runs.list({ pipeline: run.pipeline, createdSince: run.createdAt, limit: NEWER_RUNS });
  const newer = since.find(
    (r) => r.runId !== run.runId && r.commit === run.commit && r.plan.status.context === run.plan.status.context,
  );
  if (newer !== undefined) return { unsaid: `run ${newer.runId}, newer, reports on commit ${run.commit} now` };
  if (since.length >= NEWER_RUNS)
    return {
      unsaid: `${NEWER_RUNS} or more runs of pipeline ${run.pipeline} came since run ${run.runId}: one may report on its commit now`,
    };
  return end;
}

/** How many later runs of a pipeline the status of an ended run reads through before it gives up. */
const NEWER_RUNS = 1000;

/**
 * ReleaseLane: the ended run hands its lane to the next queued run. A state of its own, on the
 * wait-turn function, so that ReportStatus (which talks to providers on the internet) needs no
 * states:SendTaskSuccess. Only the execution of a run that has ended may hand its lane on.
 */
export async function releaseLane(deps: PipelineDeps, input: RunPlan, executionArn: string): Promise<void> {
  const owned = await runOfExecution(deps, input, executionArn, 'release-lane');
  if ('refused' in owned) return;
  const { run } = owned;
  if (ACTIVE_STATUSES.includes(run.status)) {
    deps.logger.warn('lane not released: the run has not ended', { runId: run.runId, status: run.status });
    return;
  }
  await leaveLane(deps, run.lane, run.runId);
}

const unknownFailure = { stage: 'internal', error: 'Gantry.Unknown', reason: 'the run failed' } as const;

function successDescription(plan: RunPlan): string {
  if (plan.trigger === 'pull_request') return 'Built and checked: ready to merge';
  return plan.deploy ? `Built and checked for ${plan.environment}` : 'Built and checked';
}

/** What failed, in words a person reads in a commit status (≤ 140 chars there). */
export function describeFailure(plan: RunPlan, stage: string, failure: StateFailure, run?: RunRecord): FailureSummary {
  const cause = failure.Cause ?? '';
  const recorded = recordedFailure(stage, failure, run);
  if (recorded !== null) return recorded;
  switch (stage) {
    case 'build':
      return { stage: 'build', error: failure.Error, reason: buildFailureReason(failure) };
    case 'gates':
      return { stage: 'gates', error: 'Gantry.GatesFailed', reason: `gates failed: ${reasonsOf(cause)}` };
    case 'approval':
      if (failure.Error === 'States.Timeout') {
        return {
          stage: 'approval',
          error: failure.Error,
          reason: `approval expired after ${Math.round((plan.approval?.timeoutSeconds ?? 0) / 60)} minutes`,
        };
      }
      return {
        stage: 'approval',
        error: failure.Error,
        reason: failure.Error === 'Gantry.ApprovalRejected' ? cause : `approval failed: ${firstLine(cause)}`,
      };
    case 'plan':
      return {
        stage: 'plan',
        error: failure.Error,
        reason:
          failure.Error === 'States.Timeout'
            ? `gave up waiting for its lane (${plan.lane}): the runs ahead of it took longer than this pipeline's longest run`
            : `waiting for its lane failed: ${firstLine(cause) || failure.Error}`,
      };
    case 'deploy':
      return {
        stage: 'deploy',
        error: failure.Error,
        reason: `deployment failed: ${firstLine(cause) || failure.Error}`,
      };
    default:
      return { stage: 'internal', error: failure.Error, reason: `${failure.Error}: ${firstLine(cause)}` };
  }
}

/**
 * A failure Gantry closed on the record before answering the token (a rejection, a deployment that
 * failed or stopped), in the record's words rather than the answer's.
 */
function recordedFailure(stage: string, failure: StateFailure, run: RunRecord | undefined): FailureSummary | null {
  if (stage === 'approval' && run?.approval?.outcome === 'rejected') {
    const no = Object.values(run.approval.decisions).find((d) => d.decision === 'reject');
    if (no !== undefined)
      return {
        stage: 'approval',
        error: 'Gantry.ApprovalRejected',
        reason: `rejected by ${no.identity}: ${no.reason}`,
      };
  }
  const deployment = run?.deployment;
  if (stage === 'deploy' && (deployment?.status === 'failed' || deployment?.status === 'stopped') && deployment.reason)
    return { stage: 'deploy', error: failure.Error, reason: `deployment failed: ${firstLine(deployment.reason)}` };
  return null;
}

/**
 * A waiting task failed by someone other than Gantry: the approval is still open on the record
 * (decide() closes it before it answers), or the deployment is still in progress (Gantry closes it
 * before it answers). Recorded as forged input; a deployment still running is stopped (CodeDeploy
 * rolls it back) so the lane is not handed on under it. Null when the record bears the failure out.
 */
async function handMadeFailure(
  deps: FailureDeps,
  run: RunRecord,
  stage: string,
  failure: StateFailure,
  executionArn: string,
): Promise<FailureSummary | null> {
  const said = `«${firstLine(`${failure.Error}: ${failure.Cause ?? ''}`)}»`;
  let reason: string | null = null;
  if (stage === 'approval' && run.approval !== undefined && run.approval.outcome === undefined) {
    reason =
      failure.Error === 'States.Timeout'
        ? await timeoutNotMade(deps, executionArn, 'Approval', run.runId, said)
        : `the Approval task was failed, but no decision closed run ${run.runId}'s approval: not answered by Gantry (its answer said ${said})`;
  }
  // WaitTurn's timeout gives up the run's place in its lane; only Step Functions' own may.
  if (stage === 'plan' && failure.Error === 'States.Timeout')
    reason = await timeoutNotMade(deps, executionArn, 'WaitTurn', run.runId, said);
  const deployment = run.deployment;
  if (stage === 'deploy' && deployment?.status === 'in_progress' && deployment.deploymentId !== undefined) {
    const id = deployment.deploymentId;
    await stopQuietly(deps, id, { account: run.plan.deployTarget?.account ?? null, runId: run.runId });
    reason = `the Deploy task was failed while deployment ${id} was in progress: not answered by Gantry (its answer said ${said}); Gantry stopped the deployment and CodeDeploy rolls its traffic back`;
    await deps.runs.closeDeployment(
      run.runId,
      { status: 'stopped', endedAt: deps.clock().toISOString(), reason, rolledBack: true },
      deps.clock(),
    );
  }
  if (reason === null) return null;
  await recordForgedInput(deps, run.plan, run, executionArn, 'record-failure', reason);
  return { stage: stage === 'deploy' || stage === 'plan' ? stage : 'approval', error: 'Gantry.ForgedInput', reason };
}

/**
 * Null when Step Functions itself timed the task out (its history ends the task with
 * TaskTimedOut); otherwise why the timeout is not believed: anyone holding the task token can
 * SendTaskFailure with the error `States.Timeout`, which the Catch cannot tell apart, and the
 * ledger would say the approval expired when it was closed by hand.
 */
async function timeoutNotMade(
  deps: FailureDeps,
  executionArn: string,
  task: string,
  runId: string,
  said: string,
): Promise<string | null> {
  const ended = await deps.executions.taskEndOf(executionArn, task);
  if (ended === 'timed_out') return null;
  return `the ${task} task of run ${runId} was failed as timed out, but Step Functions did not time it out (its history ends the task as ${ended ?? 'nothing'}): not answered by Gantry (its answer said ${said})`;
}

/** Stops a deployment; one CodeDeploy already ended is fine. Without the port, refuses (fail closed). */
async function stopQuietly(deps: FailureDeps, deploymentId: string, site: StopSite): Promise<void> {
  if (deps.deployments === undefined)
    throw new Error(`deployment ${deploymentId} is still in progress and this step cannot stop it`);
  await stopUnlessEnded(deps.deployments, deploymentId, site);
}

/** CodeBuild's .sync failure carries the build as JSON in Cause: name the phase that failed. */
function buildFailureReason(failure: StateFailure): string {
  // FetchSource's refusal: its reason already names the connection and the fix.
  if (failure.Error.startsWith('Gantry.Source.') && failure.Cause) return firstLine(failure.Cause);
  try {
    const build = JSON.parse(failure.Cause ?? '') as {
      BuildStatus?: string;
      Phases?: { PhaseType?: string; PhaseStatus?: string; Contexts?: { Message?: string }[] }[];
      /** A Lambda step of the build stage (FetchSource, RecordProvenance) that threw. */
      errorMessage?: string;
    };
    if (typeof build.errorMessage === 'string') return `${failure.Error}: ${firstLine(build.errorMessage)}`;
    const failed = build.Phases?.find((p) => p.PhaseStatus !== undefined && p.PhaseStatus !== 'SUCCEEDED');
    const detail = failed?.Contexts?.find((c) => c.Message)?.Message;
    return `build ${build.BuildStatus ?? 'FAILED'}${failed?.PhaseType ? ` in ${failed.PhaseType}` : ''}${detail ? `: ${detail}` : ''}`;
  } catch {
    return `build failed: ${failure.Error}${failure.Cause ? ` (${firstLine(failure.Cause)})` : ''}`;
  }
}

/** The gates' reasons arrive as a JSON array (States.JsonToString); a sentence reads better. */
function reasonsOf(cause: string): string {
  try {
    const reasons = JSON.parse(cause) as unknown;
    if (Array.isArray(reasons)) return reasons.map(String).join('; ');
  } catch {
    // not JSON: already words
  }
  return cause;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.slice(0, 200) ?? '';
}
