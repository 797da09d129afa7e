import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { RUN_INDEXES } from '../../shared/runs/store';
import { RUNS_TABLE_NAME } from './names';

/**
 * Pipeline runs: one item per run (key `runId`), listed newest first by pipeline, repository,
 * status, concurrency lane, or all together. Index names are the store's own constants.
 */
export class RunsTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      tableName: RUNS_TABLE_NAME,
      partitionKey: { name: 'runId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const byTime = (name: string, key: string) =>
      this.table.addGlobalSecondaryIndex({
        indexName: name,
        partitionKey: { name: key, type: AttributeType.STRING },
        sortKey: { name: 'createdAt', type: AttributeType.STRING },
      });
    byTime(RUN_INDEXES.byPipeline, 'pipeline');
    byTime(RUN_INDEXES.byRepository, 'repository');
    byTime(RUN_INDEXES.byStatus, 'status');
    byTime(RUN_INDEXES.byLane, 'lane');
    byTime(RUN_INDEXES.recent, 'kind');
  }
}
