import type { DeploymentStateChange } from '../../events';
import { runIdOf } from './appspec';
import { answerDeployment, atSite, type DeployDeps, isEnded, siteOf } from './outcome';
import type { DeploymentInfo } from './ports';

/** Not an error of the deployment: the event came before the Deploy step noted its id; EventBridge retries. */
export class DeploymentNotYetRecorded extends Error {
  override readonly name = 'Gantry.DeploymentNotYetRecorded';
}

/**
 * What EventBridge delivers from CodeDeploy: the deployment's description names its run (Gantry
 * started it), or the event is ignored (CloudFormation's deployments, rollbacks, other events).
 */
export async function onStateChangeEvent(home: DeployDeps, event: DeploymentStateChange): Promise<string> {
  const { deploymentId } = event.detail;
  // A target account's events come forwarded, with its account: CodeDeploy is asked there. The
  // run is not known yet, so the session is tagged with the deployment.
  const account = event.account !== undefined && home.sites?.holds(event.account) ? event.account : null;
  const deps = atSite(home, { account, runId: `deployment:${deploymentId}` });
  const info = await deps.deploy.getDeployment(deploymentId);
  const runId = runIdOf(info.description);
  if (runId === null) return 'ignored: deployment not started by Gantry';
  return onDeploymentEvent(deps, info, runId, account);
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
