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
 * The role a target account's stack (GantryTarget-<account>) gives the control plane of
 * `controlPlaneAccount`: named after it, so two control planes never share one.
 */
export function targetDeployRoleName(controlPlaneAccount: string): string {
  return `gantry-deploy-${controlPlaneAccount}`;
}

export function targetDeployRoleArn(targetAccount: string, controlPlaneAccount: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${targetAccount}:role/${targetDeployRoleName(controlPlaneAccount)}`;
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
