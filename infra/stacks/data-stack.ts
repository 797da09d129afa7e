import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { GantryConfig } from '../config/schema';
import { ConnectionSecrets } from '../constructs/connection-secrets';

export interface GantryDataStackProps extends StackProps {
  readonly config: GantryConfig;
}

/** The stateful half of Gantry: what must survive redeploying or replacing the control plane. */
export class GantryDataStack extends Stack {
  readonly deliveries: Table;
  readonly connections: ConnectionSecrets;

  constructor(scope: Construct, id: string, props: GantryDataStackProps) {
    super(scope, id, props);
    this.deliveries = new Table(this, 'Deliveries', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Delivery ids only deduplicate redeliveries for a few days; nothing to keep on teardown.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.connections = new ConnectionSecrets(this, 'Connections', { connections: props.config.connections });
  }
}
