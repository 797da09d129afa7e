import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { NamedTarget } from '../constructs/deployments';
import { type ControlPlaneRef, TargetAccess } from '../constructs/target-access';

export interface GantryTargetStackProps extends StackProps {
  readonly controlPlane: ControlPlaneRef;
  /** The deploy targets in this stack's account. */
  readonly targets: readonly NamedTarget[];
}

/**
 * What a team deploys into each target account (`cdk deploy GantryTarget-<account>`): the role the
 * control plane releases through, and the forwarding of CodeDeploy's events to its bus.
 */
export class GantryTargetStack extends Stack {
  readonly access: TargetAccess;

  constructor(scope: Construct, id: string, props: GantryTargetStackProps) {
    super(scope, id, props);
    this.access = new TargetAccess(this, 'Access', { controlPlane: props.controlPlane, targets: props.targets });
  }
}
