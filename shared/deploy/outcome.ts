import type { DeployedOutput, DeployTarget, RunPlan } from '../../events';
import { runFact } from '../audit/audit';
import { type DeploySite, UnknownTargetAccountError } from '../aws/target-sessions';
import { deploymentRolledBack, publishNotification } from '../notify/publish';
import { isDeadToken, type PipelineDeps } from '../pipelines/ports';
import type { RunDeployment } from '../runs/model';
import { subjectOf } from '../runs/subjects';
import { DEPLOYMENT_ENDED, type DeployControl, type DeploymentInfo } from './ports';

/** What the deploy steps need besides the pipeline's ports. */
export interface DeployDeps extends PipelineDeps {
  /** CodeDeploy, Lambda and CloudWatch in the control plane's own account. */
  readonly deploy: DeployControl;
  /** The same, per target account, as this step's role there; absent: every target is in the control plane's account. */
  readonly sites?: { at(site: DeploySite): DeployControl; holds(account: string): boolean };
}

/** Where a run's deployment lives, as the control plane recorded its plan. */
export function siteOf(plan: RunPlan): DeploySite {
  return { account: plan.deployTarget?.account ?? null, runId: plan.runId };
}

/** The deps whose deploy calls go to `site`'s account (as this step's role there when that is another account). */
export function atSite<D extends DeployDeps>(deps: D, site: DeploySite): D {
  if (site.account === null) return deps;
  if (deps.sites === undefined)
    throw new UnknownTargetAccountError(`no way into account ${site.account}: this step holds no target roles`);
  return { ...deps, deploy: deps.sites.at(site) };
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
export async function recordOutcome(
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

export function failureOf(deployment: RunDeployment, info: DeploymentInfo): DeployError {
  // The rollback first: reasons are shortened where they are shown, CodeDeploy's words can be long.
  const back =
    info.rolledBack && deployment.fromVersion ? `, traffic rolled back to version ${deployment.fromVersion}` : '';
  const why =
    (info.status === 'Stopped' ? deployment.stopRequested : undefined) ?? info.error ?? info.status.toLowerCase();
  return info.status === 'Stopped'
    ? new DeployError('Gantry.DeploymentStopped', `deployment ${info.deploymentId} stopped${back}: ${why}`)
    : new DeployError('Gantry.DeploymentFailed', `deployment ${info.deploymentId} failed${back}: ${why}`);
}

export function outputOf(deployment: RunDeployment, info: DeploymentInfo): DeployedOutput {
  return {
    deploymentId: info.deploymentId || null,
    fromVersion: deployment.fromVersion,
    toVersion: deployment.toVersion,
    target: deployment.target,
  };
}

export function isEnded(info: DeploymentInfo): boolean {
  return (DEPLOYMENT_ENDED as readonly string[]).includes(info.status);
}

export function requireTarget(plan: RunPlan): DeployTarget {
  if (plan.deployTarget === null) {
    throw new DeployError('Gantry.NoDeployTarget', `environment ${plan.environment ?? '(none)'} has no deploy target`);
  }
  return plan.deployTarget;
}

export function shiftText(d: Pick<RunDeployment, 'fromVersion' | 'toVersion'>): string {
  return d.fromVersion === null ? `→ ${d.toVersion}` : `version ${d.fromVersion} → ${d.toVersion}`;
}
