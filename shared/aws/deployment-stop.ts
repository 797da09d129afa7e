// No SDK here: steps that only sometimes stop a deployment load CodeDeploy's client when they do.

/** Which account a deployment runs in (null: this one), and the run acting on it. */
export interface StopSite {
  readonly account: string | null;
  readonly runId: string;
}

/** Port: stops a CodeDeploy deployment and rolls its traffic back (a superseded run's release). */
export interface DeploymentStopper {
  /** `site` names the target account of a deployment outside the control plane's. */
  stopDeployment(deploymentId: string, site?: StopSite): Promise<void>;
}

/**
 * Stops a deployment and rolls its traffic back. True when this call stopped it; false when
 * CodeDeploy had ended it already (it finished, or another caller stopped it first), which is no
 * error to a caller that only wants it stopped, but means the caller cannot say it stopped it.
 */
export async function stopUnlessEnded(
  stopper: DeploymentStopper,
  deploymentId: string,
  site?: StopSite,
): Promise<boolean> {
  try {
    await stopper.stopDeployment(deploymentId, site);
    return true;
  } catch (error) {
    if ((error as { name?: string }).name !== 'DeploymentAlreadyCompletedException') throw error;
    return false;
  }
}
