/** A CodeDeploy deployment as the Deploy steps need to see it. */
export interface DeploymentInfo {
  readonly deploymentId: string;
  readonly status: string;
  readonly description: string;
  /** Why it failed or stopped, in CodeDeploy's words. */
  readonly error: string | null;
  /** Whether CodeDeploy moved traffic back (a rollback deployment or an automatic rollback). */
  readonly rolledBack: boolean;
  /** Who created it, as CodeDeploy says (`user`, `codeDeployRollback`, `CloudFormation`…), when known. */
  readonly creator?: string;
  /** For CodeDeploy's own rollback deployment: the deployment whose failure it rolls back. */
  readonly rollbackOf?: string;
  /** Its application and deployment group, as CodeDeploy says (never as an event says). */
  readonly application?: string;
  readonly deploymentGroup?: string;
}

/**
 * What a published Lambda version runs besides its package: the handler, runtime and layers, and
 * its environment (variable names, and a SHA-256 of names and values: values may be secrets). A
 * layer, a handler pointed into one, or `NODE_OPTIONS` load code the package's provenance does not
 * name: the ledger records them beside the package, and what changed since the live version.
 */
export interface FunctionConfiguration {
  readonly handler: string;
  readonly runtime: string;
  readonly layers: readonly string[];
  readonly environmentKeys: readonly string[];
  readonly environmentSha256: string;
  /**
   * Per variable, a tag of its value that only this process can make (configuration.ts
   * `environmentValueTags`): which values differ between two versions, never what they are. Never
   * recorded. Absent when the adapter cannot tell (then only the digest says the values differ).
   */
  readonly environmentValueTags?: Readonly<Record<string, string>>;
  /**
   * What else decides what the code can reach or where its output goes: execution role,
   * architectures, VPC (subnets and security groups), file systems, log group, environment KMS
   * key, each as text (absent: empty). Absent when the adapter does not read them.
   */
  readonly platform?: Readonly<Record<string, string>>;
}

/** Where an alias sends its traffic. */
export interface AliasRouting {
  readonly version: string;
  readonly additional: Readonly<Record<string, number>>;
}

export const DEPLOYMENT_ENDED = ['Succeeded', 'Failed', 'Stopped'] as const;

export interface CreateDeploymentRequest {
  readonly application: string;
  readonly deploymentGroup: string;
  readonly deploymentConfig: string;
  readonly description: string;
  /** The AppSpec, as JSON. */
  readonly appSpec: string;
}

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

/**
 * Port: what the Deploy steps ask of CodeDeploy, Lambda and CloudWatch. In AWS the SDK clients;
 * in local mode the same clients, pointed at the local deployer.
 */
export interface DeployControl {
  /**
   * Publishes the function's code from one exact S3 object version as a new version (or the
   * version that already has it), with the CodeSha256 Lambda computed of what it read.
   */
  publishVersion(
    functionName: string,
    code: { bucket: string; key: string; versionId: string },
  ): Promise<{ version: string; codeSha256: string; configuration: FunctionConfiguration }>;
  /** The CodeSha256 of a published version. */
  versionCodeSha256(functionName: string, version: string): Promise<string>;
  /** A published version's configuration. */
  versionConfiguration(functionName: string, version: string): Promise<FunctionConfiguration>;
  /**
   * The version an alias sends its traffic to, and any other versions it sends a share to
   * (`RoutingConfig.AdditionalVersionWeights`: version → weight), as Lambda says.
   */
  aliasRouting(functionName: string, alias: string): Promise<AliasRouting>;
  createDeployment(request: CreateDeploymentRequest): Promise<string>;
  /**
   * A deployment of a group created since a time that `wanted` accepts by its description and the
   * AppSpec it deploys (one naming the run, or its bake's rollback), if any: how a step retried
   * after CreateDeployment, but before it noted the id, finds it.
   */
  findDeployment(
    application: string,
    deploymentGroup: string,
    since: Date,
    wanted: (deployment: { readonly description: string; readonly appSpec: string }) => boolean,
  ): Promise<{ readonly deploymentId: string; readonly appSpec: string } | undefined>;
  getDeployment(deploymentId: string): Promise<DeploymentInfo>;
  /** Stops a deployment and rolls its traffic back. */
  stopDeployment(deploymentId: string): Promise<void>;
  /** The alarm names a deployment group watches. */
  groupAlarms(application: string, deploymentGroup: string): Promise<string[]>;
  alarmStates(names: readonly string[]): Promise<AlarmState[]>;
}
