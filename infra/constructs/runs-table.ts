import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { RUN_INDEXES } from '../../shared/runs/store';
import { RUNS_TABLE_NAME, runsTableArns, tableArn } from './names';

/** How far a grant on the runs table reaches. */
export interface RunsGrantOptions {
  /**
   * Also the table's indexes (listing runs by pipeline, repository, status, lane, recency).
   * @default true
   */
  readonly indexes?: boolean;
}

/**
 * Pipeline runs: one item per run (key `runId`), listed newest first by pipeline, repository,
 * status, concurrency lane, or all together. Index names are the store's own constants.
 */
export class RunsTable extends Construct {
  /**
   * Grants `actions` on the runs table to a function of the control plane. The table lives in the
   * data stack and is named, not referenced: the grant names its ARN in the grantee's stack.
   */
  static grant(grantee: IGrantable & IConstruct, actions: readonly string[], options: RunsGrantOptions = {}): Grant {
    const resourceArns = options.indexes === false ? [tableArn(grantee, RUNS_TABLE_NAME)] : runsTableArns(grantee);
    return Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
  }

  /** Reads runs and lists them (GetItem, Query), and writes them (PutItem, UpdateItem): a pipeline step's access. */
  static grantReadWriteRuns(grantee: IGrantable & IConstruct): Grant {
    return RunsTable.grant(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']);
  }

  /** Reads a run and updates it (GetItem, UpdateItem), never creates one: a deployer's or an approver's access. */
  static grantUpdateRuns(grantee: IGrantable & IConstruct, options: RunsGrantOptions = {}): Grant {
    return RunsTable.grant(grantee, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], options);
  }

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
