import { Arn, ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import { AUDIT_INDEXES } from '../../shared/audit/ledger';
import {
  AUDIT_TABLE_NAME,
  artifactsBucketName as artifactsBucketNameIn,
  auditCheckpointsBucketName as auditCheckpointsBucketNameIn,
  auditExportsBucketName as auditExportsBucketNameIn,
  RUNS_TABLE_NAME,
  stepRoleName,
} from '../../shared/config/names';
import { RUN_INDEXES } from '../../shared/runs/store';

/**
 * Gantry's stateful singletons have fixed names (shared/config/names.ts, free of CDK): operators
 * find them by name, local mode's data stays attached to them, and the control plane's
 * least-privilege statements name exact ARNs.
 */
export {
  AUDIT_CHECKPOINT_KEY_ALIAS,
  AUDIT_TABLE_NAME,
  DELIVERIES_TABLE_NAME,
  EVENT_BUS_NAME,
  RUNS_TABLE_NAME,
} from '../../shared/config/names';
export { PROVENANCE_KEY_ALIAS } from '../../shared/provenance/env';

/** The artifacts bucket's name in the stack's account and region. */
export function artifactsBucketName(): string {
  return artifactsBucketNameIn(Aws.ACCOUNT_ID, Aws.REGION);
}

/** The audit checkpoints bucket's name in the stack's account and region. */
export function auditCheckpointsBucketName(): string {
  return auditCheckpointsBucketNameIn(Aws.ACCOUNT_ID, Aws.REGION);
}

/** The audit exports bucket's name in the stack's account and region. */
export function auditExportsBucketName(): string {
  return auditExportsBucketNameIn(Aws.ACCOUNT_ID, Aws.REGION);
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

/**
 * The steps that sign with a KMS key. Each one's role has a fixed name, so that the key (in the data
 * stack, which the control plane's stack depends on) can name it in its own policy.
 */
export const SIGNING_STEPS = ['record-provenance', 'audit-checkpoint'] as const;
export type SigningStep = (typeof SIGNING_STEPS)[number];

/** The fixed name of a signing step's role in the stack's region. */
export function signerRoleName(step: SigningStep): string {
  return stepRoleName(step, Aws.REGION);
}

/**
 * Lets only `step`'s role sign with `key`: the key's policy denies `kms:Sign` to every other
 * principal, whatever its IAM policies allow (the default key policy leaves signing to IAM, so any
 * role of the account holding `kms:Sign` on `*` could otherwise sign provenance Deploy trusts, or a
 * checkpoint `gantry audit verify` trusts).
 */
export function onlySigner(key: Key, step: SigningStep): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'OnlyItsStepSigns',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:Sign'],
      resources: ['*'],
      conditions: {
        ArnNotEquals: {
          'aws:PrincipalArn': stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: signerRoleName(step),
          }),
        },
      },
    }),
  );
}
