import type { DeploymentStateChange } from '../../events';
import { runIdOf, trafficBackRunOf } from './appspec';
import { answerDeployment, atSite, type DeployDeps, isEnded, siteOf } from './outcome';
import type { DeploymentInfo } from './ports';

/** How long a run may have opened its deployment without noting CodeDeploy's id: seconds in practice. */
const UNNOTED_MS = 15 * 60_000;

/**
 * Not an error of the deployment: the event came before the Deploy step noted its id. Lambda
 * retries the invocation twice (about three minutes), then sends the event to the triggers
 * dead-letter queue, whence `gantry dlq redrive` sends it again.
 */
export class DeploymentNotYetRecorded extends Error {
  override readonly name = 'Gantry.DeploymentNotYetRecorded';
}

/**
 * What EventBridge delivers from CodeDeploy, for the applications of Gantry targets: the
 * deployment's description names its run (Gantry started it), or CodeDeploy rolled back one that
 * did. Anything else released bytes no gate, approval or provenance check saw: it is recorded as
 * `security.unattributed_deployment`, once per deployment, and changes no run.
 */
export async function onStateChangeEvent(home: DeployDeps, event: DeploymentStateChange): Promise<string> {
  const { deploymentId } = event.detail;
  // A target account's events come forwarded, with its account: CodeDeploy is asked there. The
  // run is not known yet, so the session is tagged with the deployment.
  const account = event.account !== undefined && home.sites?.holds(event.account) ? event.account : null;
  const deps = atSite(home, { account, runId: `deployment:${deploymentId}` });
  const info = await deps.deploy.getDeployment(deploymentId);
  const runId = runIdOf(info.description);
  if (runId === null) {
    const baked = await trafficBackOf(deps, info, account);
    if (baked !== null) return baked;
    if (info.rollbackOf !== undefined) {
      // Only the rollback of the deployment a run itself noted: a description is anyone's to write.
      const rolledBack = runIdOf((await deps.deploy.getDeployment(info.rollbackOf)).description);
      const owner = rolledBack === null ? undefined : await deps.runs.get(rolledBack);
      if (owner?.deployment?.deploymentId === info.rollbackOf)
        return `ignored: CodeDeploy's rollback of run ${rolledBack}'s deployment ${info.rollbackOf}`;
    }
    return recordUnattributed(home, account, event, info, 'its description names no Gantry run');
  }
  const run = await deps.runs.get(runId);
  const deployment = run?.deployment;
  const noted = deployment?.deploymentId;
  // A run notes its deployment's id at once after creating it; one still without an id this long
  // after opening its deployment never created this one (a retry would have adopted it by now).
  const unnotedFor = deployment === undefined ? 0 : deps.clock().getTime() - Date.parse(deployment.startedAt);
  const foreign =
    run === undefined || deployment === undefined
      ? `its description names run ${runId}, which has no deployment`
      : siteOf(run.plan).account !== account
        ? `its description names run ${runId}, which releases into ${siteOf(run.plan).account ?? 'the control plane’s account'}, not ${account ?? 'the control plane’s account'}`
        : noted !== undefined && noted !== deploymentId
          ? `its description names run ${runId}, whose deployment is ${noted === '' ? 'none (it had nothing to shift)' : noted}`
          : noted === undefined && deployment.status !== 'in_progress'
            ? `its description names run ${runId}, whose deployment ended ${deployment.status} without creating one`
            : noted === undefined && unnotedFor > UNNOTED_MS
              ? `its description names run ${runId}, which has noted no deployment in the ${Math.round(unnotedFor / 60_000)} min since it opened one`
              : null;
  if (foreign !== null) return recordUnattributed(home, account, event, info, foreign);
  return onDeploymentEvent(deps, info, runId, account);
}

/**
 * A deployment whose description says a run's bake check sent traffic back: Gantry's only if that
 * run, releasing into this account, noted this very id (its events may come before the id is
 * noted: retried until then, for as long as a run may take to note its deployment). Null otherwise.
 */
async function trafficBackOf(deps: DeployDeps, info: DeploymentInfo, account: string | null): Promise<string | null> {
  const runId = trafficBackRunOf(info.description);
  if (runId === null) return null;
  const run = await deps.runs.get(runId);
  const back = run?.deployment?.trafficBack;
  if (run === undefined || back === undefined || siteOf(run.plan).account !== account) return null;
  if (back.deploymentId === info.deploymentId)
    return `ignored: run ${runId}'s bake check sent traffic back with deployment ${info.deploymentId}`;
  const waiting = deps.clock().getTime() - Date.parse(back.requestedAt);
  if (back.deploymentId === undefined && waiting < UNNOTED_MS)
    throw new DeploymentNotYetRecorded(`run ${runId} has not noted its bake rollback ${info.deploymentId} yet`);
  return null;
}

/**
 * Records a deployment no run started, as CodeDeploy describes it (the account it was read in, its
 * application and group), not as the event says: an event is anyone's to write who may send to
 * the triggers queue, and a redrive sends it again as it was.
 */
async function recordUnattributed(
  deps: DeployDeps,
  account: string | null,
  event: DeploymentStateChange,
  info: DeploymentInfo,
  reason: string,
): Promise<string> {
  const { deploymentId } = event.detail;
  const application = info.application ?? event.detail.application;
  const deploymentGroup = info.deploymentGroup ?? event.detail.deploymentGroup;
  const where = `${account === null ? '' : `account ${account}, `}${application}/${deploymentGroup}`;
  deps.logger.warn('deployment not started by Gantry', { deploymentId, application, deploymentGroup, reason });
  await deps.audit.record({
    type: 'security.unattributed_deployment',
    actor: { type: 'system', id: info.creator ?? 'codedeploy', providerIdentity: null },
    subject: { repository: null, commit: null },
    outcome: 'failure',
    details: {
      deploymentId,
      application: account === null ? application : `${account}:${application}`,
      deploymentGroup,
      status: info.status,
      creator: info.creator ?? null,
      reason: `deployment ${deploymentId} to ${where} was not started by Gantry: ${reason}`,
    },
    correlationId: deploymentId,
    once: `deployment/${account ?? '-'}/${deploymentId}/unattributed`,
  });
  return `recorded: deployment ${deploymentId} not started by Gantry`;
}

/**
 * A CodeDeploy state-change event: finds the run by the deployment's description and answers
 * its Deploy task. Events of deployments Gantry did not start are ignored.
 */
export async function onDeploymentEvent(
  deps: DeployDeps,
  info: DeploymentInfo,
  runId: string,
  account: string | null = null,
): Promise<string> {
  const { deploymentId } = info;
  const run = await deps.runs.get(runId);
  const deployment = run?.deployment;
  if (run === undefined || deployment === undefined) return `no run ${runId} deploying`;
  // A deployment in one account never answers a run that releases into another.
  if (siteOf(run.plan).account !== account)
    return `ignored: run ${runId} does not deploy into ${account ?? 'this account'}`;
  if (deployment.deploymentId === undefined) {
    if (deployment.status !== 'in_progress') return 'already settled';
    throw new DeploymentNotYetRecorded(`run ${runId} has not noted deployment ${deploymentId} yet`);
  }
  if (deployment.deploymentId !== deploymentId) return `run ${runId} is on deployment ${deployment.deploymentId}`;
  if (!isEnded(info)) return `deployment ${deploymentId} is ${info.status}`;
  return (await answerDeployment(deps, run.plan, deployment, info)) ? 'answered' : 'already settled';
}
