import { isDeepStrictEqual } from 'node:util';
import {
  type BakeCheck,
  type DeployedOutput,
  DeploymentStateChangeSchema,
  type DeployTarget,
  type RunPlan,
} from '../../events';
import { runFact } from '../audit/audit';
import { deploymentRolledBack, publishNotification } from '../notify/publish';
import { ForgedInputError, recordForgedInput, runOfExecution } from '../pipelines/ownership';
import type { PipelineDeps } from '../pipelines/ports';
import { isDeadToken } from '../pipelines/ports';
import { ProvenanceError, refused } from '../provenance/errors';
import { codeSha256Of, type VerifyDeps, verifiedStatement, verifyReleaseArtifact } from '../provenance/verify';
import type { RunDeployment, RunRecord } from '../runs/model';
import { gantryRecord, subjectOf } from '../runs/subjects';
import { deploymentDescription, ecsAppSpec, lambdaAppSpec, runIdOf } from './appspec';
import { DEPLOYMENT_ENDED, type DeployControl, type DeploymentInfo } from './ports';
import { describeTarget } from './target';

/** What the deploy steps need besides the pipeline's ports. */
export interface DeployDeps extends PipelineDeps {
  readonly deploy: DeployControl;
}

/** The Deploy step also verifies provenance: the versioned artifacts and the provenance key. */
export interface ReleaseDeps extends DeployDeps {
  readonly provenance: VerifyDeps;
}

/** Errors the state machine catches by name: each fails the run with its message as the reason. */
export class DeployError extends Error {
  constructor(
    override readonly name:
      | 'Gantry.DeploymentFailed'
      | 'Gantry.DeploymentStopped'
      | 'Gantry.DeploymentTimedOut'
      | 'Gantry.BakeAlarm'
      | 'Gantry.NoDeployTarget',
    message: string,
  ) {
    super(message);
  }
}

/** Not an error of the deployment: the event came before the Deploy step noted its id; EventBridge retries. */
export class DeploymentNotYetRecorded extends Error {
  override readonly name = 'Gantry.DeploymentNotYetRecorded';
}

/**
 * Deploy step (.waitForTaskToken): verifies the build's provenance, publishes exactly the
 * attested bytes as a new version and asks CodeDeploy to shift the alias to it. The run parks
 * until a CodeDeploy state-change event answers the token. What it releases comes from the run
 * record the control plane wrote, never from the state's input. Idempotent per run: a retried
 * step adopts the deployment the first attempt started.
 */
export async function startDeployment(
  deps: ReleaseDeps,
  input: RunPlan,
  taskToken: string,
  executionArn: string,
): Promise<void> {
  const run = await trustedRun(deps, input, executionArn);
  const plan = run.plan;
  const target = requireTarget(plan);
  const now = deps.clock();
  let existing = run.deployment;
  if (existing !== undefined && existing.deploymentId === undefined && existing.status === 'in_progress') {
    // An earlier attempt opened the deployment and may have created it in CodeDeploy, then died
    // before noting its id: find it by the run id its description carries, rather than start a
    // second deployment of the same change.
    const since = new Date(Date.parse(existing.startedAt) - 5 * 60_000);
    const found = await deps.deploy.findRunDeployment(target.application, target.deploymentGroup, plan.runId, since);
    if (found !== undefined) {
      // Anyone who may CreateDeployment can write a description: adopt only what this run asked for.
      const asked =
        target.lambda !== null
          ? lambdaAppSpec(target, existing.fromVersion ?? '', existing.toVersion)
          : ecsAppSpec(target, existing.toVersion);
      if (!sameJson(found.appSpec, asked)) {
        const why = `deployment ${found.deploymentId} names run ${plan.runId} but does not deploy what the run asked (${shiftText(existing)}): not adopted; stop it in CodeDeploy`;
        await recordForgedInput(deps, input, run, executionArn, 'deploy', why);
        throw new DeployError('Gantry.DeploymentFailed', why);
      }
      await deps.runs.setDeploymentId(plan.runId, found.deploymentId, now);
      await recordStarted(deps, plan, found.deploymentId, existing.target, target.strategy);
      existing = { ...existing, deploymentId: found.deploymentId };
    }
  }
  if (existing?.deploymentId !== undefined) {
    await deps.runs.openDeployment(plan.runId, { ...existing, taskToken }, now);
    const info = await deps.deploy.getDeployment(existing.deploymentId);
    if (isEnded(info)) await answerDeployment(deps, plan, { ...existing, taskToken }, info);
    deps.logger.info('deploy step retried: adopted the existing deployment', {
      runId: plan.runId,
      deploymentId: existing.deploymentId,
    });
    return;
  }
  const revision = await revisionOf(deps, run, target).catch((error: unknown) =>
    error instanceof ProvenanceError ? refuseDeploy(deps, plan, target, error) : Promise.reject(error),
  );
  const deployment: RunDeployment = {
    taskToken,
    target: describeTarget(target),
    strategy: target.strategy,
    fromVersion: revision.from,
    toVersion: revision.to,
    status: 'in_progress',
    startedAt: now.toISOString(),
  };
  await deps.runs.openDeployment(plan.runId, deployment, now);
  await deps.runs.setStage(
    plan.runId,
    'deploy',
    { status: 'running', startedAt: now.toISOString(), summary: `${shiftText(deployment)} (${target.strategy})` },
    now,
  );
  if (revision.from === revision.to) {
    // The alias already serves this version (a redeploy of the same code): nothing to shift.
    await answerDeployment(deps, plan, deployment, {
      deploymentId: '',
      status: 'Succeeded',
      description: '',
      error: null,
      rolledBack: false,
    });
    return;
  }
  const deploymentId = await deps.deploy.createDeployment({
    application: target.application,
    deploymentGroup: target.deploymentGroup,
    deploymentConfig: target.deploymentConfig,
    description: deploymentDescription(plan.runId),
    appSpec: revision.appSpec,
  });
  await deps.runs.setDeploymentId(plan.runId, deploymentId, deps.clock());
  await recordStarted(deps, plan, deploymentId, deployment.target, target.strategy);
  deps.logger.info('deployment started', {
    runId: plan.runId,
    deploymentId,
    from: revision.from,
    to: revision.to,
    strategy: target.strategy,
  });
}

/**
 * What EventBridge delivers from CodeDeploy: the deployment's description names its run (Gantry
 * started it), or the event is ignored (CloudFormation's deployments, rollbacks, other events).
 */
export async function onStateChangeEvent(deps: DeployDeps, event: unknown): Promise<string> {
  const parsed = DeploymentStateChangeSchema.safeParse(event);
  if (!parsed.success) return 'ignored: not a CodeDeploy state-change event';
  const info = await deps.deploy.getDeployment(parsed.data.detail.deploymentId);
  const runId = runIdOf(info.description);
  if (runId === null) return 'ignored: deployment not started by Gantry';
  return onDeploymentEvent(deps, info, runId);
}

/**
 * A CodeDeploy state-change event: finds the run by the deployment's description and answers
 * its Deploy task. Events of deployments Gantry did not start are ignored.
 */
export async function onDeploymentEvent(deps: DeployDeps, info: DeploymentInfo, runId: string): Promise<string> {
  const { deploymentId } = info;
  const run = await deps.runs.get(runId);
  const deployment = run?.deployment;
  if (run === undefined || deployment === undefined) return `no run ${runId} deploying`;
  if (deployment.deploymentId === undefined) {
    if (deployment.status !== 'in_progress') return 'already settled';
    throw new DeploymentNotYetRecorded(`run ${runId} has not noted deployment ${deploymentId} yet`);
  }
  if (deployment.deploymentId !== deploymentId) return `run ${runId} is on deployment ${deployment.deploymentId}`;
  if (!isEnded(info)) return `deployment ${deploymentId} is ${info.status}`;
  return (await answerDeployment(deps, run.plan, deployment, info)) ? 'answered' : 'already settled';
}

/**
 * After the Deploy task timed out (no event came): asks CodeDeploy once. Succeeded goes on; an
 * ended failure fails the run; a deployment still running is stopped and rolled back.
 */
export async function reconcileDeployment(deps: DeployDeps, plan: RunPlan): Promise<DeployedOutput> {
  const target = requireTarget(plan);
  const deployment = (await deps.runs.get(plan.runId))?.deployment;
  if (deployment?.deploymentId === undefined) {
    throw new DeployError('Gantry.DeploymentTimedOut', 'the deployment never started before the deploy timeout');
  }
  const info = await deps.deploy.getDeployment(deployment.deploymentId);
  if (info.status === 'Succeeded') {
    await recordOutcome(deps, plan, deployment, info);
    return outputOf(deployment, info);
  }
  if (isEnded(info)) {
    await recordOutcome(deps, plan, deployment, info);
    throw failureOf(deployment, info);
  }
  await deps.deploy.stopDeployment(deployment.deploymentId);
  const reason = `no deployment state-change event within ${Math.round(target.timeoutSeconds / 60)} min (CodeDeploy said ${info.status}); stopped and rolled back`;
  await recordOutcome(deps, plan, deployment, { ...info, status: 'Stopped', error: reason, rolledBack: true });
  throw new DeployError('Gantry.DeploymentTimedOut', reason);
}

/**
 * After the bake time at full traffic: the deployment group's alarms must all be quiet. One in
 * ALARM sends traffic back to the previous version (all at once) and fails the run.
 */
export async function checkBake(deps: DeployDeps, plan: RunPlan): Promise<BakeCheck> {
  const target = requireTarget(plan);
  const run = await deps.runs.get(plan.runId);
  const deployment = await requireDeployed(deps, plan, run);
  const alarms = await deps.deploy.groupAlarms(target.application, target.deploymentGroup);
  const firing = (await deps.deploy.alarmStates(alarms)).filter((a) => a.state === 'ALARM');
  const now = deps.clock();
  const baked = `${Math.round(target.bakeSeconds / 60)} min`;
  if (firing.length === 0) {
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
    return { alarms };
  }
  const alarmText = firing.map((a) => `${a.name} (${a.reason || 'in ALARM'})`).join('; ');
  let reason = `alarm fired during the ${baked} bake: ${alarmText}`;
  if (deployment.fromVersion && target.lambda !== null) {
    const rollbackId = await deps.deploy.createDeployment({
      application: target.application,
      deploymentGroup: target.deploymentGroup,
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
      description: `gantry rollback of run ${plan.runId} after its bake`,
      appSpec: lambdaAppSpec(target, deployment.toVersion, deployment.fromVersion),
    });
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
 * The Deploy task's answer proves nothing (its token is in the execution's history, and anyone
 * allowed SendTaskSuccess may answer it): the bake goes on only for a deployment Gantry closed as
 * succeeded on the run, and that CodeDeploy itself says succeeded. Anything else is forged input.
 */
async function requireDeployed(deps: DeployDeps, plan: RunPlan, run: RunRecord | undefined): Promise<RunDeployment> {
  const deployment = run?.deployment;
  let why: string | null = null;
  if (deployment === undefined) why = `run ${plan.runId} has no deployment recorded`;
  else if (deployment.status !== 'succeeded')
    why = `run ${plan.runId}'s deployment is ${deployment.status}, not succeeded`;
  else if (deployment.deploymentId) {
    const info = await deps.deploy.getDeployment(deployment.deploymentId);
    if (info.status !== 'Succeeded') why = `CodeDeploy says deployment ${deployment.deploymentId} is ${info.status}`;
  }
  if (why === null && deployment !== undefined) return deployment;
  const reason = `the Deploy task was answered, but ${why}: not answered by Gantry, so nothing is reported as deployed`;
  await recordForgedInput(deps, plan, run, run?.executionArn ?? plan.executionArn, 'bake', reason);
  deps.logger.warn('bake refused a deploy answer Gantry did not give', { runId: plan.runId, reason });
  throw new ForgedInputError(`bake refused: ${reason}`);
}

async function recordStarted(
  deps: DeployDeps,
  plan: RunPlan,
  deploymentId: string,
  target: string,
  strategy: DeployTarget['strategy'],
): Promise<void> {
  await deps.audit.record({
    type: 'deploy.started',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome: 'pending',
    details: { deploymentId, target, strategy },
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, `deploy.started/${deploymentId}`),
  });
}

/** Ends a deployment on the run record and in the audit trail, then answers the Deploy task. */
export async function answerDeployment(
  deps: DeployDeps,
  plan: RunPlan,
  deployment: RunDeployment,
  info: DeploymentInfo,
): Promise<boolean> {
  const closed = await recordOutcome(deps, plan, deployment, info);
  if (closed === false) return false;
  try {
    if (info.status === 'Succeeded') {
      await deps.executions.sendTaskSuccess(deployment.taskToken, outputOf(deployment, info));
    } else {
      const failure = failureOf(deployment, info);
      await deps.executions.sendTaskFailure(deployment.taskToken, failure.name, failure.message);
    }
  } catch (error) {
    // Answered already: by an earlier attempt that died before noting it, or by the other path
    // that saw the same end at the same time (an operator's cancel and CodeDeploy's Stopped event).
    if (!isDeadToken(error)) throw error;
  }
  await deps.runs.markDeploymentAnswered(plan.runId, deps.clock());
  return true;
}

/**
 * Closes the deployment once and records how it ended: `now` when this call closed it, `before`
 * when an earlier attempt closed it the same way but died before its Deploy task was answered
 * (the record is written again, and kept out of the ledger by its key), false when something
 * else closed it first or it was all done already.
 */
async function recordOutcome(
  deps: DeployDeps,
  plan: RunPlan,
  deployment: RunDeployment,
  info: DeploymentInfo,
): Promise<'now' | 'before' | false> {
  const now = deps.clock();
  const succeeded = info.status === 'Succeeded';
  const reason = succeeded ? undefined : failureOf(deployment, info).message;
  const status = succeeded ? 'succeeded' : info.status === 'Stopped' ? 'stopped' : 'failed';
  const closed = await deps.runs.closeDeployment(
    plan.runId,
    {
      status,
      endedAt: now.toISOString(),
      ...(reason === undefined ? {} : { reason }),
      ...(succeeded ? {} : { rolledBack: info.rolledBack }),
    },
    now,
  );
  // Closed now, or closed the same way by an earlier attempt of this step whose record may not
  // have gone out (the record's key keeps a second one out of the ledger).
  if (!closed) {
    const after = (await deps.runs.get(plan.runId))?.deployment;
    if (after?.deploymentId !== info.deploymentId || after.status !== status || after.answeredAt !== undefined)
      return false;
  }
  const closedBy = closed ? 'now' : 'before';
  const details = { deploymentId: info.deploymentId, target: deployment.target };
  const base = {
    actor: { type: 'system' as const, id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, `deploy.ended/${info.deploymentId}`),
  };
  if (succeeded) {
    await deps.runs.setStage(
      plan.runId,
      'deploy',
      {
        status: 'running',
        startedAt: deployment.startedAt,
        summary: `${shiftText(deployment)} (${deployment.strategy}); all traffic on ${deployment.toVersion}, baking`,
      },
      now,
    );
    await deps.audit.record({ ...base, type: 'deploy.succeeded', outcome: 'success', details });
  } else {
    await deps.audit.record({
      ...base,
      type: 'deploy.rolled_back',
      outcome: 'failure',
      details: { ...details, reason: reason ?? info.status },
    });
    await publishNotification(deps, deploymentRolledBack(plan, { ...details, reason: reason ?? info.status }));
  }
  deps.logger.info('deployment ended', { runId: plan.runId, deploymentId: info.deploymentId, status: info.status });
  return closedBy;
}

function failureOf(deployment: RunDeployment, info: DeploymentInfo): DeployError {
  // The rollback first: reasons are shortened where they are shown, CodeDeploy's words can be long.
  const back =
    info.rolledBack && deployment.fromVersion ? `, traffic rolled back to version ${deployment.fromVersion}` : '';
  const why =
    (info.status === 'Stopped' ? deployment.stopRequested : undefined) ?? info.error ?? info.status.toLowerCase();
  return info.status === 'Stopped'
    ? new DeployError('Gantry.DeploymentStopped', `deployment ${info.deploymentId} stopped${back}: ${why}`)
    : new DeployError('Gantry.DeploymentFailed', `deployment ${info.deploymentId} failed${back}: ${why}`);
}

function outputOf(deployment: RunDeployment, info: DeploymentInfo): DeployedOutput {
  return {
    deploymentId: info.deploymentId || null,
    fromVersion: deployment.fromVersion,
    toVersion: deployment.toVersion,
    target: deployment.target,
  };
}

function isEnded(info: DeploymentInfo): boolean {
  return (DEPLOYMENT_ENDED as readonly string[]).includes(info.status);
}

function requireTarget(plan: RunPlan): DeployTarget {
  if (plan.deployTarget === null) {
    throw new DeployError('Gantry.NoDeployTarget', `environment ${plan.environment ?? '(none)'} has no deploy target`);
  }
  return plan.deployTarget;
}

function shiftText(d: Pick<RunDeployment, 'fromVersion' | 'toVersion'>): string {
  return d.fromVersion === null ? `→ ${d.toVersion}` : `version ${d.fromVersion} → ${d.toVersion}`;
}

/** Which revision to release and the AppSpec that releases it, once its provenance verified. */
async function revisionOf(
  deps: ReleaseDeps,
  run: RunRecord,
  target: DeployTarget,
): Promise<{ from: string | null; to: string; appSpec: string }> {
  const { plan } = run;
  if (target.lambda !== null) {
    const { function: fn, alias } = target.lambda;
    const to = plan.rollback
      ? await verifiedRollbackVersion(deps, plan.rollback, fn, target.lambda.artifact)
      : await publishVerified(deps, run, fn, target.lambda.artifact);
    const from = await deps.deploy.aliasVersion(fn, alias);
    return { from, to, appSpec: lambdaAppSpec(target, from, to) };
  }
  if (target.ecs === null) throw new DeployError('Gantry.NoDeployTarget', 'the target names neither lambda nor ecs');
  const source = plan.rollback ? await runToRestore(deps, plan.rollback.toRunId) : run;
  const artifact = await verifyReleaseArtifact(deps.provenance, source, target.ecs.taskDefinitionArtifact);
  const taskDefinition = artifact.bytes.toString('utf8').trim();
  checkTaskDefinition(taskDefinition, target.ecs.family);
  if (plan.rollback && plan.rollback.version !== taskDefinition) {
    throw refused(
      'digest',
      `rollback asks for ${plan.rollback.version}, but run ${source.runId}'s attested task definition is ${taskDefinition}`,
    );
  }
  return { from: null, to: taskDefinition, appSpec: ecsAppSpec(target, taskDefinition) };
}

/** Publishes the attested package, read at its pinned version, and checks Lambda got those bytes. */
async function publishVerified(deps: ReleaseDeps, run: RunRecord, fn: string, artifactPath: string): Promise<string> {
  const artifact = await verifyReleaseArtifact(deps.provenance, run, artifactPath);
  const published = await deps.deploy.publishVersion(fn, artifact);
  if (published.codeSha256 !== codeSha256Of(artifact.sha256)) {
    throw refused(
      'code',
      `Lambda published version ${published.version} of ${fn} with CodeSha256 ${published.codeSha256}, not the attested ${codeSha256Of(artifact.sha256)}`,
    );
  }
  return published.version;
}

/** A rollback restores a version only if its code is what the restored run's provenance attests. */
async function verifiedRollbackVersion(
  deps: ReleaseDeps,
  rollback: NonNullable<RunPlan['rollback']>,
  fn: string,
  artifactPath: string,
): Promise<string> {
  const source = await runToRestore(deps, rollback.toRunId);
  const statement = await verifiedStatement(deps.provenance, source);
  const subject = statement.subject.find((s) => s.name === artifactPath.replace(/^\/+/, ''));
  const code = await deps.deploy.versionCodeSha256(fn, rollback.version);
  if (subject === undefined || codeSha256Of(subject.digest.sha256) !== code) {
    throw refused(
      'code',
      `version ${rollback.version} of ${fn} (CodeSha256 ${code}) is not the ${artifactPath} that run ${source.runId}'s provenance attests`,
    );
  }
  return rollback.version;
}

async function runToRestore(deps: ReleaseDeps, runId: string): Promise<RunRecord> {
  const run = await deps.runs.get(runId);
  if (run === undefined) throw refused('provenance', `the run to restore, ${runId}, does not exist`);
  return run;
}

/** `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`, of the configured family only. */
function checkTaskDefinition(arn: string, family: string): void {
  const match = /^arn:[^:]+:ecs:[^:]+:\d{12}:task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  if (match === null) {
    throw refused(
      'family',
      `the task definition artifact holds ${JSON.stringify(arn.slice(0, 200))}, not a task definition ARN with a revision`,
    );
  }
  if (match[1] !== family) {
    throw refused('family', `task definition ${arn} is of family ${match[1]}, not the configured ${family}`);
  }
}

/**
 * The run Deploy may act for, from the runs table, never from the state's input: it exists, it
 * is this very execution's (the ARN Step Functions puts in the context object, which no input
 * can set), it is still running, and a gated environment holds the approvals its policy asks,
 * as decide() recorded them. Anything else is a forged or replayed input: refused, audited.
 */
async function trustedRun(deps: ReleaseDeps, input: RunPlan, executionArn: string): Promise<RunRecord> {
  const owned = await runOfExecution(deps, input, executionArn, 'deploy');
  if ('refused' in owned) throw refused('run', `deploy refused: ${owned.refused}`);
  const { run } = owned;
  const why = run.status !== 'RUNNING' ? `run ${run.runId} is ${run.status}, not RUNNING` : missingApproval(run);
  if (why === null) return run;
  await recordForgedInput(deps, input, run, executionArn, 'deploy', why);
  deps.logger.warn('deploy refused a forged input', { runId: input.runId, executionArn, reason: why });
  throw refused('run', `deploy refused: ${why}`);
}

/** Why a gated run may not deploy yet, or null when its approval is recorded as granted. */
function missingApproval(run: RunRecord): string | null {
  const policy = run.plan.approval;
  if (policy === null) return null;
  const granted = Object.values(run.approval?.decisions ?? {}).filter((d) => d.decision === 'approve').length;
  if (run.approval?.outcome === 'approved' && granted >= policy.minApprovals) return null;
  return `environment ${run.plan.environment} requires ${policy.minApprovals} approval(s); run ${run.runId} has ${granted} recorded (${run.approval?.outcome ?? 'none requested'})`;
}

/** Records why Deploy refused, then fails the step before anything moved. */
async function refuseDeploy(
  deps: DeployDeps,
  plan: RunPlan,
  target: DeployTarget,
  error: ProvenanceError,
): Promise<never> {
  await deps.audit.record({
    ...gantryRecord(plan, 'deploy.refused', 'rejected', {
      target: describeTarget(target),
      check: error.check,
      reason: error.message,
    }),
    once: runFact(plan.runId, 'deploy.refused'),
  });
  deps.logger.warn('deploy refused', { runId: plan.runId, check: error.check, reason: error.message });
  throw error;
}

/** Whether two JSON documents say the same thing (an AppSpec as CodeDeploy stored it, and as Gantry writes it). */
function sameJson(a: string, b: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}
