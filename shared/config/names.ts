/**
 * Gantry's physical names, free of aws-cdk-lib so that the CLI (and anything else that finds the
 * control plane's resources by name) imports them instead of re-typing them. The CDK app turns them
 * into ARNs in infra/constructs/names.ts.
 */
export const DELIVERIES_TABLE_NAME = 'gantry-deliveries';
export const RUNS_TABLE_NAME = 'gantry-runs';
export const AUDIT_TABLE_NAME = 'gantry-audit';
/** The event bus, unless the stack is given another. */
export const EVENT_BUS_NAME = 'gantry';
/** The KMS key that signs audit checkpoints. */
export const AUDIT_CHECKPOINT_KEY_ALIAS = 'alias/gantry-audit-checkpoints';

/** S3 names are global: the artifacts bucket carries the account and region. */
export function artifactsBucketName(account: string, region: string): string {
  return `gantry-artifacts-${account}-${region}`;
}

/** Where signed audit checkpoints are kept, under S3 Object Lock. */
export function auditCheckpointsBucketName(account: string, region: string): string {
  return `gantry-audit-checkpoints-${account}-${region}`;
}

/** Where DynamoDB exports of the audit ledger land, for Athena. */
export function auditExportsBucketName(account: string, region: string): string {
  return `gantry-audit-exports-${account}-${region}`;
}

/**
 * The roles a target account's stack (GantryTarget-<account>) gives the control plane, one per
 * kind of work, so that a step assumes only the rights its own calls need:
 * - `deploy`: releases (publishes the function's code, creates deployments, reads the release
 *   packages); the Deploy step only;
 * - `verify`: the checks after a release (reads the deployment, the group's alarms; stops it;
 *   rolls a Lambda target's traffic back to a version it already has); DeployCheck only;
 * - `stop`: reads and stops deployments; the steps that cancel, supersede, fail or resume a run.
 */
export const TARGET_ROLE_KINDS = ['deploy', 'verify', 'stop'] as const;
export type TargetRoleKind = (typeof TARGET_ROLE_KINDS)[number];

/** A target role's name: its kind and the control plane's account, so two control planes never share one. */
export function targetRoleName(kind: TargetRoleKind, controlPlaneAccount: string): string {
  return `gantry-${kind}-${controlPlaneAccount}`;
}

export function targetRoleArn(
  kind: TargetRoleKind,
  targetAccount: string,
  controlPlaneAccount: string,
  partition = 'aws',
): string {
  return `arn:${partition}:iam::${targetAccount}:role/${targetRoleName(kind, controlPlaneAccount)}`;
}

/** The release role (kind `deploy`): the one target role that publishes code and reads release packages. */
export function targetDeployRoleName(controlPlaneAccount: string): string {
  return targetRoleName('deploy', controlPlaneAccount);
}

export function targetDeployRoleArn(targetAccount: string, controlPlaneAccount: string, partition = 'aws'): string {
  return targetRoleArn('deploy', targetAccount, controlPlaneAccount, partition);
}

/**
 * The control plane's roles that act in target accounts are named, so a target stack (another
 * account: no cross-stack references) can trust exactly them.
 */
export function stepRoleName(step: string, region: string): string {
  return `gantry-${step}-${region}`;
}

/** The session tag that carries the run id into the target account's CloudTrail. */
export const RUN_ID_SESSION_TAG = 'gantry:run-id';

/**
 * A pipeline's CodeBuild project for one class of builds: `gantry-<pipeline>` for trusted builds
 * that deploy to no environment needing approval, `-gated` for those that do, `-untrusted` for
 * pull requests. Config refuses pipeline names that would make two pipelines' names one.
 */
export function buildProjectName(pipeline: string, cls: 'gated' | 'ungated' | 'untrusted'): string {
  return cls === 'ungated' ? `gantry-${pipeline}` : `gantry-${pipeline}-${cls}`;
}

/** The name Gantry gives the CodeDeploy configuration of an environment's custom traffic shift. */
export function customConfigName(pipeline: string, environment: string): string {
  return `gantry-${pipeline}-${environment}`;
}

/**
 * A pipeline's failed-run alarm, or its environment's (`gantry-<this>` in CloudWatch): config
 * refuses pipelines whose alarms would share a name (`api`'s `prod` and a pipeline `api-prod`).
 */
export function failedRunsAlarm(pipeline: string, environment?: string): string {
  return environment === undefined ? `pipeline-${pipeline}-failed` : `pipeline-${pipeline}-${environment}-failed`;
}
