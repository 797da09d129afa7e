import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { GantryConfig } from '../config/schema';
import { WebhookIngress } from '../constructs/webhook-ingress';
import type { GantryDataStack } from './data-stack';

export interface GantryControlPlaneStackProps extends StackProps {
  readonly config: GantryConfig;
  readonly data: GantryDataStack;
  /** @default 'gantry' */
  readonly eventBusName?: string;
}

/** The stateless half: the bus, the webhook front door, and (later) the pipelines. */
export class GantryControlPlaneStack extends Stack {
  readonly bus: EventBus;
  readonly ingress: WebhookIngress;

  constructor(scope: Construct, id: string, props: GantryControlPlaneStackProps) {
    super(scope, id, props);
    this.bus = new EventBus(this, 'Bus', { eventBusName: props.eventBusName ?? 'gantry' });
    this.ingress = new WebhookIngress(this, 'WebhookIngress', {
      bus: this.bus,
      deliveriesTable: props.data.deliveries,
      connections: props.data.connections,
      repositories: repositoriesByConnection(props.config),
    });
    new CfnOutput(this, 'WebhookBaseUrl', {
      description: 'Point each provider webhook at <this URL>/<provider>, e.g. …/webhooks/github',
      value: this.ingress.api.urlForPath('/webhooks'),
    });
  }
}

function repositoriesByConnection(config: GantryConfig): Record<string, string[]> {
  const byConnection: Record<string, string[]> = {};
  for (const { source } of config.pipelines) {
    const list = byConnection[source.connection] ?? [];
    if (!list.includes(source.repository)) list.push(source.repository);
    byConnection[source.connection] = list;
  }
  return byConnection;
}
