import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AUDIT_INDEX_PARTITIONS, AUDIT_INDEXES } from '../../shared/audit/ledger';
import type { AuditConfig } from '../config/schema';
import { accessLogsBucket } from './access-logs';
import {
  AUDIT_CHECKPOINT_KEY_ALIAS,
  AUDIT_TABLE_NAME,
  auditCheckpointsBucketName,
  auditExportsBucketName,
  onlySigner,
} from './names';

export interface AuditLedgerProps {
  readonly config: AuditConfig;
}

/**
 * The audit ledger's state: the append-only table (customer-managed key, point-in-time recovery,
 * deletion protection, TTL per record class), the asymmetric key that signs chain checkpoints,
 * the Object Lock bucket that keeps them, and the export bucket with its Glue table for Athena.
 */
export class AuditLedger extends Construct {
  readonly table: Table;
  readonly tableKey: Key;
  readonly signingKey: Key;
  readonly checkpoints: Bucket;
  readonly exports: Bucket;

  constructor(scope: Construct, id: string, props: AuditLedgerProps) {
    super(scope, id);
    this.tableKey = new Key(this, 'TableKey', {
      description: 'Gantry audit ledger table encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table = new Table(this, 'Table', {
      tableName: AUDIT_TABLE_NAME,
      partitionKey: { name: 'chain', type: AttributeType.STRING },
      sortKey: { name: 'seq', type: AttributeType.NUMBER },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [index, key] of Object.entries(AUDIT_INDEX_PARTITIONS) as [keyof typeof AUDIT_INDEXES, string][]) {
      this.table.addGlobalSecondaryIndex({
        indexName: AUDIT_INDEXES[index],
        partitionKey: { name: key, type: AttributeType.STRING },
        sortKey: { name: 'time', type: AttributeType.STRING },
      });
    }

    this.signingKey = new Key(this, 'CheckpointKey', {
      description: 'Signs Gantry audit chain checkpoints (ECDSA P-256); the private key never leaves KMS',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      alias: AUDIT_CHECKPOINT_KEY_ALIAS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    onlySigner(this.signingKey, 'audit-checkpoint');

    const accessLogs = accessLogsBucket(this, 'AccessLogs', { retentionDays: 2557, logs: 'audit buckets' });
    this.checkpoints = new Bucket(this, 'Checkpoints', {
      bucketName: auditCheckpointsBucketName(),
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      objectLockEnabled: true,
      // Compliance mode: nobody, the root user included, can delete or overwrite a checkpoint early.
      // Governance mode (trials): whoever holds s3:BypassGovernanceRetention can.
      objectLockDefaultRetention: (props.config.checkpointLockMode === 'governance'
        ? ObjectLockRetention.governance
        : ObjectLockRetention.compliance)(Duration.days(props.config.checkpointLockDays)),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'checkpoints/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.exports = new Bucket(this, 'Exports', {
      bucketName: auditExportsBucketName(),
      encryption: BucketEncryption.KMS,
      encryptionKey: this.tableKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'exports/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.athenaTable();
  }

  /**
   * `gantry_audit.ledger_export`: the table's DynamoDB exports (`aws dynamodb
   * export-table-to-point-in-time --s3-prefix ledger`) read in place by Athena; each export is
   * a partition, chosen in queries with `WHERE export_id = '…'` (partition projection, injected).
   */
  private athenaTable(): void {
    const database = new CfnDatabase(this, 'GlueDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: 'gantry_audit', description: 'Gantry audit ledger exports' },
    });
    const s = (name: string) => ({ name, type: 'struct<S:string>' });
    const item = [
      s('chain'),
      { name: 'seq', type: 'struct<N:string>' },
      s('id'),
      s('time'),
      s('type'),
      s('outcome'),
      s('correlationId'),
      { name: 'actor', type: 'struct<M:struct<type:struct<S:string>,id:struct<S:string>>>' },
      {
        name: 'subject',
        type: 'struct<M:struct<repository:struct<S:string>,commit:struct<S:string>,runId:struct<S:string>,environment:struct<S:string>,pipeline:struct<S:string>>>',
      },
      s('prevHash'),
      s('hash'),
    ];
    const table = new CfnTable(this, 'GlueExportTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: 'gantry_audit',
      tableInput: {
        name: 'ledger_export',
        description: 'DynamoDB exports of the Gantry audit ledger (DYNAMODB_JSON)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'export_id', type: 'string' }],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.export_id.type': 'injected',
          'storage.location.template': `s3://${auditExportsBucketName()}/ledger/AWSDynamoDB/\${export_id}/data/`,
        },
        storageDescriptor: {
          columns: [{ name: 'item', type: `struct<${item.map((c) => `${c.name}:${c.type}`).join(',')}>` }],
          location: `s3://${auditExportsBucketName()}/ledger/AWSDynamoDB/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'case.insensitive': 'false', 'mapping.item': 'Item' },
          },
        },
      },
    });
    table.addResourceDependency(database);
  }
}
