import type { LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { SAMPLE_TRAFFIC_HOOK } from '../../config/definitions';
import { GantryFunction } from '../gantry-function';

/**
 * Gantry's CodeDeploy lifecycle hook for Lambda targets (BeforeAllowTraffic, AfterAllowTraffic):
 * the new version must answer /health. One per stack, under the name the config's hooks default
 * to; each target it checks grants through `grantHookOf`.
 */
export class TrafficHook extends GantryFunction {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      name: 'traffic-hook',
      functionName: SAMPLE_TRAFFIC_HOOK,
      description: "CodeDeploy's pre- and post-traffic hook: the new version must answer /health",
    });
  }

  /**
   * Makes the hook the one of `group`'s deployments of `fn`: CodeDeploy invokes it with the
   * group's role; it reads the deployment (GetDeployment) to find the version to check, calls
   * that version, and reports the lifecycle event's status.
   */
  grantHookOf(group: LambdaDeploymentGroup, fn: IFunction): void {
    this.function.grantInvoke(group.role);
    fn.grantInvoke(this.function);
    group.grantPutLifecycleEventHookExecutionStatus(this.function);
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['codedeploy:GetDeployment'],
      resourceArns: [group.deploymentGroupArn],
    });
  }
}
