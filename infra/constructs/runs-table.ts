import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { RUN_INDEXES } from '../../shared/runs/store';
import { attributesOf, RUN_CREATED, type RunWrite } from '../../shared/runs/writes';
import { RUNS_TABLE_NAME, runsTableArns, tableArn } from './names';

const READS = ['dynamodb:GetItem', 'dynamodb:Query'];

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
   * Grants reads (`dynamodb:GetItem`, `dynamodb:Query`) on the runs table to a function of the
   * control plane. The table lives in the data stack and is named, not referenced: the grant names
   * its ARN in the grantee's stack. Writes go through {@link RunsTable.grantWrites} only.
   */
  static grant(grantee: IGrantable & IConstruct, actions: readonly string[], options: RunsGrantOptions = {}): Grant {
    const writes = actions.filter((a) => !READS.includes(a));
    if (writes.length > 0)
      throw new Error(`RunsTable.grant reads only; ${writes.join(', ')} must be granted by kind, with grantWrites`);
    const resourceArns = options.indexes === false ? [tableArn(grantee, RUNS_TABLE_NAME)] : runsTableArns(grantee);
    return Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
  }

  /**
   * Lets `grantee` read a run and update only the parts of it `writes` names (RUN_WRITES), and with
   * `create`, create runs holding a new run's attributes only. IAM checks each request's top-level
   * attributes (`dynamodb:Attributes`, which must be present), so a function taken over cannot
   * write another step's part: evaluate-gates cannot approve a run, a creator cannot put one with
   * its gates passed.
   */
  static grantWrites(
    grantee: IGrantable & IConstruct,
    writes: readonly RunWrite[],
    options: { readonly create?: boolean } = {},
  ): void {
    const table = tableArn(grantee, RUNS_TABLE_NAME);
    const only = (attributes: readonly string[]) => ({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
      Null: { 'dynamodb:Attributes': 'false' },
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [table],
        conditions: only(attributesOf(writes)),
      }),
    );
    if (options.create)
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table], conditions: only(RUN_CREATED) }),
      );
    RunsTable.grant(grantee, ['dynamodb:GetItem'], { indexes: false });
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
