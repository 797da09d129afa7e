/** How a deployment configuration moves an alias's traffic. */
export type TrafficRouting =
  | { readonly type: 'AllAtOnce' }
  | {
      readonly type: 'TimeBasedCanary' | 'TimeBasedLinear';
      readonly percentage: number;
      readonly intervalMinutes: number;
    };

export interface DeploymentConfigSpec {
  readonly name: string;
  readonly computePlatform: string;
  readonly routing: TrafficRouting;
}

export interface ApplicationSpec {
  readonly name: string;
  readonly id: string;
  readonly computePlatform: string;
}

/** A deployment group of the template (`AWS::CodeDeploy::DeploymentGroup`). */
export interface DeploymentGroupSpec {
  readonly application: string;
  readonly name: string;
  /** The account the group lives in, when its stack is pinned to one other than the control plane's. */
  readonly accountId?: string;
  readonly id: string;
  readonly deploymentConfigName: string;
  readonly serviceRoleArn: string;
  readonly alarms: {
    readonly enabled: boolean;
    readonly ignorePollAlarmFailure: boolean;
    readonly names: readonly string[];
  };
  readonly autoRollback: { readonly enabled: boolean; readonly events: readonly string[] };
  readonly deploymentStyle: { readonly type: string; readonly option: string };
}

/** The CodeDeploy resources of the template. */
export interface CodeDeployInventory {
  readonly applications: readonly ApplicationSpec[];
  readonly groups: readonly DeploymentGroupSpec[];
  readonly configs: readonly DeploymentConfigSpec[];
}
