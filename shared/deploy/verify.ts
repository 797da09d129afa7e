import type { BakeCheck, BakeStart, DeployedOutput, DeployTarget, RunPlan } from '../../events';
import { runFact } from '../audit/audit';
import { stopUnlessEnded } from '../aws/deployment-stop';
import { deploymentRolledBack, publishNotification } from '../notify/publish';
import { ForgedInputError, recordForgedInput, runOfExecution } from '../pipelines/ownership';
import type { RunDeployment, RunRecord } from '../runs/model';
import { subjectOf } from '../runs/subjects';
import { BAKE_ROLLBACK_CONFIG, lambdaAppSpec, sameAppSpec, trafficBackDescription, trafficBackRunOf } from './appspec';
import {
  atSite,
  type DeployDeps,
  DeployError,
  failureOf,
  isEnded,
  outputOf,
  recordOutcome,
  requireTarget,
  shiftText,
  siteOf,
} from './outcome';
import { describeTarget } from './target';

/**
 * The run this check is for, as the control plane recorded it: the one this very execution owns.
 * A direct invocation names any run id it likes (and any repository, commit or environment in its
 * plan); it is refused, and the ledger says so, before anything is stopped or recorded.
 */
async function ownRun(deps: DeployDeps, input: RunPlan, executionArn: string, check: string): Promise<RunRecord> {
  const owned = await runOfExecution(deps, input, executionArn, `deploy-verify (${check})`);
  if ('refused' in owned) throw new ForgedInputError(`deploy-verify refused: ${owned.refused}`);
  return owned.run;
}

/**
 * After the Deploy task timed out (no event came): asks CodeDeploy once. Succeeded goes on; an
 * ended failure fails the run; a deployment still running is stopped and rolled back. What is
 * recorded is the run's own plan, never the input's.
 */
export async function reconcileDeployment(
  home: DeployDeps,
  input: RunPlan,
  executionArn: string,
): Promise<DeployedOutput> {
  const run = await ownRun(home, input, executionArn, 'reconcile');
  const plan = run.plan;
  const target = requireTarget(plan);
  const deps = atSite(home, siteOf(plan));
  const deployment = run.deployment;
  if (deployment?.deploymentId === undefined) {
    throw new DeployError('Gantry.DeploymentTimedOut', 'the deployment never started before the deploy timeout');
  }
  const id = deployment.deploymentId;
  const info = await deps.deploy.getDeployment(id);
  if (!isEnded(info) && (await stopUnlessEnded(deps.deploy, id))) {
    const reason = `no deployment state-change event within ${Math.round(target.timeoutSeconds / 60)} min (CodeDeploy said ${info.status}); stopped and rolled back`;
    await recordOutcome(deps, plan, deployment, { ...info, status: 'Stopped', error: reason, rolledBack: true });
    throw new DeployError('Gantry.DeploymentTimedOut', reason);
  }
  // Ended before the read, or between the read and the stop: the record says how it really ended.
  const ended = isEnded(info) ? info : await deps.deploy.getDeployment(id);
  if (!isEnded(ended))
    throw new DeployError(
      'Gantry.DeploymentTimedOut',
      `CodeDeploy would not stop deployment ${id}, which it said had ended, yet it still reports ${ended.status}`,
    );
  await recordOutcome(deps, plan, deployment, ended);
  if (ended.status === 'Succeeded') return outputOf(deployment, ended);
  throw failureOf(deployment, ended);
}

/**
 * BakeUntil, before the bake's Wait: when the bake ends, counted from when Gantry closed the
 * deployment as succeeded on the record, never from when the Deploy task was answered. A token
 * answered by hand before the deployment ended is refused here, before any bake.
 */
export async function bakeUntil(deps: DeployDeps, input: RunPlan, executionArn: string): Promise<BakeStart> {
  const { run, deployment } = await requireDeployed(deps, input, await ownRun(deps, input, executionArn, 'bake-start'));
  const target = requireTarget(run.plan);
  const from = Date.parse(deployment.endedAt ?? '');
  if (Number.isNaN(from))
    throw new DeployError('Gantry.DeploymentFailed', `run ${run.runId}'s deployment has no end on record`);
  return { until: new Date(from + target.bakeSeconds * 1000).toISOString() };
}

/**
 * After the bake time at full traffic: the deployment group's alarms must all be quiet. One in
 * ALARM sends traffic back to the previous version (all at once) and fails the run.
 */
export async function checkBake(home: DeployDeps, input: RunPlan, executionArn: string): Promise<BakeCheck> {
  const { run, deployment } = await requireDeployed(home, input, await ownRun(home, input, executionArn, 'bake'));
  // Which group's alarms, which function to send back and how long the bake was are the run's,
  // as the control plane recorded them: the input could name a quiet group or another function.
  const plan = run.plan;
  const deps = atSite(home, siteOf(plan));
  const target = requireTarget(plan);
  const alarms = await deps.deploy.groupAlarms(target.application, target.deploymentGroup);
  const firing = (await deps.deploy.alarmStates(alarms)).filter((a) => a.state === 'ALARM');
  const now = deps.clock();
  const baked = `${Math.round(target.bakeSeconds / 60)} min`;
  // An earlier attempt of this check saw an alarm and asked for traffic back (it notes that first):
  // the bake failed, whatever the alarms say now, and the rollback it asked for is not asked twice.
  const back = deployment.trafficBack;
  if (firing.length === 0 && back === undefined) {
    await deps.runs.setStage(
      plan.runId,
      'deploy',
      {
        status: 'succeeded',
        startedAt: deployment.startedAt,
        endedAt: now.toISOString(),
        summary: `${shiftText(deployment)} (${target.strategy}); baked ${baked}, ${alarms.length} alarm(s) quiet`,
      },
      now,
    );
    // Last: ReportSuccess believes it, so nothing after it may fail and leave it behind a retry that sees an alarm.
    await deps.runs.noteBaked(plan.runId, alarms.length, now);
    return { alarms };
  }
  const alarmText = firing.map((a) => `${a.name} (${a.reason || 'in ALARM'})`).join('; ');
  let reason =
    back?.reason ??
    (firing.length > 0
      ? `alarm fired during the ${baked} bake: ${alarmText}`
      : `alarm fired during the ${baked} bake (seen by an earlier attempt of this check)`);
  if (deployment.fromVersion && target.lambda !== null) {
    const appSpec = lambdaAppSpec(target, deployment.toVersion, deployment.fromVersion);
    const requestedAt = back?.requestedAt ?? now.toISOString();
    let rollbackId = back === undefined ? undefined : await askedTrafficBack(deps, plan, target, back, appSpec);
    if (rollbackId === undefined) {
      // Noted before and after: its state-change events must find it Gantry's, not unattributed.
      if (back === undefined) await deps.runs.noteTrafficBack(plan.runId, { requestedAt, reason }, now);
      rollbackId = await deps.deploy.createDeployment({
        application: target.application,
        deploymentGroup: target.deploymentGroup,
        deploymentConfig: BAKE_ROLLBACK_CONFIG,
        description: trafficBackDescription(plan.runId),
        appSpec,
      });
    }
    if (back?.deploymentId !== rollbackId)
      await deps.runs.noteTrafficBack(plan.runId, { requestedAt, reason, deploymentId: rollbackId }, deps.clock());
    reason += `; traffic sent back to version ${deployment.fromVersion} (${rollbackId})`;
  } else {
    reason += '; no earlier version to send traffic back to: roll back with `gantry runs rollback`';
  }
  await deps.audit.record({
    type: 'deploy.rolled_back',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome: 'failure',
    details: { deploymentId: deployment.deploymentId ?? '', target: describeTarget(target), reason },
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, 'deploy.baked'),
  });
  await publishNotification(
    deps,
    deploymentRolledBack(plan, {
      deploymentId: deployment.deploymentId ?? '',
      target: describeTarget(target),
      reason,
    }),
  );
  throw new DeployError('Gantry.BakeAlarm', reason);
}

/**
 * The rollback an earlier attempt of the bake check asked for: the one it noted, or (the attempt
 * died before noting its id) the deployment of the group with the bake's rollback description for
 * this run that sends exactly this traffic back. A description is anyone's to write, so one that
 * deploys anything else is not adopted (its events are then recorded as unattributed).
 */
async function askedTrafficBack(
  deps: DeployDeps,
  plan: RunPlan,
  target: DeployTarget,
  back: NonNullable<RunDeployment['trafficBack']>,
  appSpec: string,
): Promise<string | undefined> {
  if (back.deploymentId !== undefined) return back.deploymentId;
  const since = new Date(Date.parse(back.requestedAt) - 5 * 60_000);
  const found = await deps.deploy.findDeployment(
    target.application,
    target.deploymentGroup,
    since,
    (d) => trafficBackRunOf(d.description) === plan.runId && sameAppSpec(d.appSpec, appSpec),
  );
  return found?.deploymentId;
}

/**
 * The Deploy task's answer proves nothing (its token is in the execution's history, and anyone
 * allowed SendTaskSuccess may answer it): the bake goes on only for a deployment Gantry closed as
 * succeeded on the run, and that CodeDeploy itself says succeeded. Anything else is forged input.
 */
async function requireDeployed(
  deps: DeployDeps,
  plan: RunPlan,
  run: RunRecord | undefined,
): Promise<{ run: RunRecord; deployment: RunDeployment }> {
  const deployment = run?.deployment;
  let why: string | null = null;
  if (deployment === undefined) why = `run ${plan.runId} has no deployment recorded`;
  else if (deployment.status !== 'succeeded')
    why = `run ${plan.runId}'s deployment is ${deployment.status}, not succeeded`;
  else if (deployment.deploymentId && run !== undefined) {
    const info = await atSite(deps, siteOf(run.plan)).deploy.getDeployment(deployment.deploymentId);
    if (info.status !== 'Succeeded') why = `CodeDeploy says deployment ${deployment.deploymentId} is ${info.status}`;
  }
  if (why === null && run !== undefined && deployment !== undefined) return { run, deployment };
  const reason = `the Deploy task was answered, but ${why}: not answered by Gantry, so nothing is reported as deployed`;
  await recordForgedInput(deps, plan, run, run?.executionArn ?? plan.executionArn, 'bake', reason);
  deps.logger.warn('bake refused a deploy answer Gantry did not give', { runId: plan.runId, reason });
  throw new ForgedInputError(`bake refused: ${reason}`);
}
