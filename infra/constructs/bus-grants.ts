import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/**
 * Lets `grantee` put events on `bus` under `source` only (`events:source`): what the rules on the
 * bus believe of an event starts with its source, so no publisher may speak as another (the
 * webhook receiver as a `Security Record` of the ledger, a step as a webhook delivery).
 */
export function grantPutEventsFrom(
  bus: IEventBus,
  grantee: IGrantable,
  source: string,
  options: {
    /** Only events of this detail-type (`events:detail-type`). */
    readonly detailType?: string;
    /** The statement's Sid, to know it by (local-iam-unused.ts). */
    readonly sid?: string;
  } = {},
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      ...(options.sid === undefined ? {} : { sid: options.sid }),
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        StringEquals: {
          'events:source': source,
          ...(options.detailType === undefined ? {} : { 'events:detail-type': options.detailType }),
        },
      },
    }),
  );
}
