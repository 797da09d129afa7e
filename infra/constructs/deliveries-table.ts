import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { DELIVERIES_TABLE_NAME, tableArn } from './names';

/** How far a grant on the deliveries table reaches. */
export interface DeliveriesGrantOptions {
  /**
   * Only items whose partition key matches one of these patterns (`dynamodb:LeadingKeys`, `*` a wildcard).
   * @default every item
   */
  readonly leadingKeys?: readonly string[];
}

/**
 * Delivery keys, each kept until its TTL (`expiresAt`): the webhook receiver's dedupe items
 * (delivery ids, digests of the signed content), which ResolvePlan reads back, and the notifier's
 * delivery keys and rate slots. Partition key `pk`, no indexes.
 */
export class DeliveriesTable extends Table {
  /**
   * Grants `actions` on the deliveries table to a function of the control plane. The table lives in
   * the data stack and is named, not referenced: the grant names its ARN in the grantee's stack.
   */
  static grant(
    grantee: IGrantable & IConstruct,
    actions: readonly string[],
    options: DeliveriesGrantOptions = {},
  ): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [tableArn(grantee, DELIVERIES_TABLE_NAME)],
      ...(options.leadingKeys
        ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...options.leadingKeys] } } }
        : {}),
    });
  }

  /** Claims, reads, moves on and releases dedupe items (GetItem, PutItem, UpdateItem, DeleteItem): the receiver's access. */
  static grantReadWriteItems(grantee: IGrantable & IConstruct, options: DeliveriesGrantOptions = {}): Grant {
    return DeliveriesTable.grant(
      grantee,
      ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      options,
    );
  }

  /** Reads items (GetItem), never writes: what ResolvePlan needs to check a change was verified. */
  static grantReadItems(grantee: IGrantable & IConstruct, options: DeliveriesGrantOptions = {}): Grant {
    return DeliveriesTable.grant(grantee, ['dynamodb:GetItem'], options);
  }

  constructor(scope: Construct, id: string) {
    super(scope, id, {
      tableName: DELIVERIES_TABLE_NAME,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Dedupe keys (delivery ids, 90 days; signed content, 400 days): nothing to keep on teardown.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
