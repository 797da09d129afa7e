import { type CodeDeployClient, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import type { DeploymentStopper, StopSite } from './deployment-stop';

export type { DeploymentStopper, StopSite } from './deployment-stop';

/** CodeDeploy behind the DeploymentStopper port: stop, and let CodeDeploy roll the traffic back. */
export class CodeDeployStopper implements DeploymentStopper {
  constructor(
    private readonly codeDeploy: CodeDeployClient,
    /** The client for a site in another account (as this step's role there); absent: none is reachable. */
    private readonly elsewhere?: { at(site: StopSite): CodeDeployClient },
  ) {}

  async stopDeployment(deploymentId: string, site?: StopSite): Promise<void> {
    const client = site?.account ? this.clientAt(site) : this.codeDeploy;
    await client.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  }

  private clientAt(site: StopSite): CodeDeployClient {
    if (this.elsewhere === undefined)
      throw new Error(`deployment in account ${site.account}: this step holds no role there`);
    return this.elsewhere.at(site);
  }
}
