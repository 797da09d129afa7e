import { type CodeDeployClient, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';

/** Port: stops a CodeDeploy deployment and rolls its traffic back (a superseded run's release). */
export interface DeploymentStopper {
  stopDeployment(deploymentId: string): Promise<void>;
}

/** CodeDeploy behind the DeploymentStopper port: stop, and let CodeDeploy roll the traffic back. */
export class CodeDeployStopper implements DeploymentStopper {
  constructor(private readonly codeDeploy: CodeDeployClient) {}

  async stopDeployment(deploymentId: string): Promise<void> {
    await this.codeDeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  }
}
