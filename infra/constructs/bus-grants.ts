import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/**
 * Lets `grantee` put events on `bus` under `source` only (`events:source`): what the rules on the
 * bus believe of an event starts with its source, so no publisher may speak as another (the
 * webhook receiver as a `Security Record` of the ledger, a step as a webhook delivery).
 */
export function grantPutEventsFrom(bus: IEventBus, grantee: IGrantable, source: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: { StringEquals: { 'events:source': source } },
    }),
  );
}
