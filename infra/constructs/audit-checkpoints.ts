import { Aws, Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type CfnRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_ENV } from '../../shared/audit/wiring';
import type { AuditConfig } from '../config/schema';
import { GantryFunction } from './gantry-function';
import { AUDIT_TABLE_NAME, auditCheckpointsBucketName, auditTableArns, signerRoleName, tableArn } from './names';

export interface AuditKeys {
  /** The table's customer-managed key. */
  readonly tableKey: IKey;
  /** The asymmetric key that signs checkpoints. */
  readonly signingKey: IKey;
}

/** What a construct needs to let the functions it creates append to the audit ledger. */
export interface AuditWriting {
  readonly keys: AuditKeys;
  readonly config: AuditConfig;
}

/**
 * Lets a function append to the audit ledger: its environment names the table and the retention
 * per record class; it may read a chain's head and put new items, never update or delete.
 * Called by the construct that creates the function.
 */
export function grantAuditAppend(fn: GantryFunction, { keys, config }: AuditWriting): void {
  fn.function.addEnvironment(AUDIT_ENV.table, AUDIT_TABLE_NAME);
  fn.function.addEnvironment(AUDIT_ENV.retentionDays, JSON.stringify(config.retentionDays));
  fn.function.addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:Query'],
      resources: [tableArn(fn, AUDIT_TABLE_NAME)],
    }),
  );
  // DynamoDB encrypts items with the table's key on the caller's behalf: exactly these actions.
  keys.tableKey.grant(fn.function, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
}

/**
 * Lets a function read the audit ledger (query a chain, an index: search, export, verify): its
 * environment names the table; it may query the table and its indexes and decrypt what they
 * hold, never write.
 */
export function grantAuditRead(fn: GantryFunction, keys: Pick<AuditKeys, 'tableKey'>): void {
  fn.function.addEnvironment(AUDIT_ENV.table, AUDIT_TABLE_NAME);
  fn.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: auditTableArns(fn) }));
  keys.tableKey.grant(fn.function, 'kms:Decrypt', 'kms:DescribeKey');
}

/**
 * Lets a function verify the signed checkpoints as `gantry audit verify` does: its environment
 * names the signing key and the bucket; it may list and read checkpoints and ask KMS to verify a
 * signature, never sign or write.
 */
export function grantCheckpointReads(fn: GantryFunction, keys: AuditKeys): void {
  const bucket = auditCheckpointsBucketName();
  fn.function.addEnvironment(AUDIT_ENV.checkpointKey, keys.signingKey.keyArn);
  fn.function.addEnvironment(AUDIT_ENV.checkpointBucket, bucket);
  fn.function.addToRolePolicy(new PolicyStatement({ actions: ['kms:Verify'], resources: [keys.signingKey.keyArn] }));
  fn.function.addToRolePolicy(
    new PolicyStatement({
      // Versions, not only keys: a delete marker hides a locked checkpoint from a plain listing.
      actions: ['s3:ListBucketVersions'],
      resources: [`arn:${Aws.PARTITION}:s3:::${bucket}`],
      conditions: { StringLike: { 's3:prefix': ['checkpoints/*'] } },
    }),
  );
  fn.function.addToRolePolicy(
    new PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [`arn:${Aws.PARTITION}:s3:::${bucket}/checkpoints/*`],
    }),
  );
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::gantry-audit-checkpoints-<AWS::AccountId>-<AWS::Region>/checkpoints/*]',
    reason: 'Verification reads every checkpoint, each a new object named by its time under checkpoints/.',
  });
}

export interface AuditCheckpointsProps {
  readonly keys: AuditKeys;
  readonly config: AuditConfig;
}

/** Signs every chain head on a schedule and writes the checkpoint to the Object Lock bucket. */
export class AuditCheckpoints extends Construct {
  readonly handler: GantryFunction;

  constructor(scope: Construct, id: string, props: AuditCheckpointsProps) {
    super(scope, id);
    this.handler = new GantryFunction(this, 'Handler', {
      name: 'audit-checkpoint',
      description: 'Signs the audit ledger chain heads (KMS) into the Object Lock bucket',
      timeout: Duration.minutes(5),
      environment: {
        [AUDIT_ENV.table]: AUDIT_TABLE_NAME,
        [AUDIT_ENV.checkpointKey]: props.keys.signingKey.keyArn,
        [AUDIT_ENV.checkpointBucket]: auditCheckpointsBucketName(),
        [AUDIT_ENV.checkpointMinutes]: String(props.config.checkpointMinutes),
      },
    });
    grantAuditRead(this.handler, props.keys);
    const fn = this.handler.function;
    (this.handler.role.node.defaultChild as CfnRole).roleName = signerRoleName('audit-checkpoint');
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Sign'], resources: [props.keys.signingKey.keyArn] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${auditCheckpointsBucketName()}/checkpoints/*`],
      }),
    );
    Validations.of(this.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::gantry-audit-checkpoints-<AWS::AccountId>-<AWS::Region>/checkpoints/*]',
      reason:
        'Each checkpoint is a new object named by its time under checkpoints/; Object Lock forbids overwriting any.',
    });
    new Rule(this, 'Schedule', {
      description: 'Signs the audit chain heads',
      schedule: Schedule.rate(Duration.minutes(props.config.checkpointMinutes)),
      targets: [new LambdaFunction(fn, { retryAttempts: 2 })],
    });
  }
}
