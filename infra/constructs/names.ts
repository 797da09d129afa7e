import { Arn, ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AUDIT_INDEXES } from '../../shared/audit/ledger';
import { RUN_INDEXES } from '../../shared/runs/store';

/**
 * Gantry's stateful singletons have fixed names: operators find them by name, local mode's data
 * stays attached to them, and the control plane's least-privilege statements name exact ARNs.
 */
export const DELIVERIES_TABLE_NAME = 'gantry-deliveries';
export const RUNS_TABLE_NAME = 'gantry-runs';
export const AUDIT_TABLE_NAME = 'gantry-audit';
export { PROVENANCE_KEY_ALIAS } from '../../shared/provenance/env';

/** S3 names are global: the artifacts bucket carries the account and region. */
export function artifactsBucketName(): string {
  return `gantry-artifacts-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

/** Where signed audit checkpoints are kept, under S3 Object Lock. */
export function auditCheckpointsBucketName(): string {
  return `gantry-audit-checkpoints-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

/** Where DynamoDB exports of the audit ledger land, for Athena. */
export function auditExportsBucketName(): string {
  return `gantry-audit-exports-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

/** The audit table and each of its indexes, by name. */
export function auditTableArns(scope: IConstruct): string[] {
  const table = tableArn(scope, AUDIT_TABLE_NAME);
  return [table, ...Object.values(AUDIT_INDEXES).map((index) => `${table}/index/${index}`)];
}

export function tableArn(scope: IConstruct, name: string): string {
  return Arn.format({ service: 'dynamodb', resource: 'table', resourceName: name }, Stack.of(scope));
}

/** The runs table and each of its indexes, by name (no `index/*` wildcard). */
export function runsTableArns(scope: IConstruct): string[] {
  const table = tableArn(scope, RUNS_TABLE_NAME);
  return [table, ...Object.values(RUN_INDEXES).map((index) => `${table}/index/${index}`)];
}

export function artifactsBucketArn(): string {
  return `arn:${Aws.PARTITION}:s3:::${artifactsBucketName()}`;
}

export { ArnFormat };
