import type { DeploymentStateChange } from '../../events';
import { runIdOf } from './appspec';
import { answerDeployment, type DeployDeps, isEnded } from './outcome';
import type { DeploymentInfo } from './ports';

/** Not an error of the deployment: the event came before the Deploy step noted its id; EventBridge retries. */
export class DeploymentNotYetRecorded extends Error {
  override readonly name = 'Gantry.DeploymentNotYetRecorded';
}

/**
 * What EventBridge delivers from CodeDeploy: the deployment's description names its run (Gantry
 * started it), or the event is ignored (CloudFormation's deployments, rollbacks, other events).
 */
export async function onStateChangeEvent(deps: DeployDeps, event: DeploymentStateChange): Promise<string> {
  const info = await deps.deploy.getDeployment(event.detail.deploymentId);
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
