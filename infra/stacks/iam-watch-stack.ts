import { Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { CLOUDTRAIL_API_CALL, roleTamperingDetail } from '../constructs/security-notices';

/** Where CloudTrail delivers the events of IAM, a global service, to EventBridge. */
export const IAM_EVENTS_REGION = 'us-east-1';

export interface GantryIamWatchStackProps extends StackProps {
  /** The control plane's region, whose default bus the signer-tampering rule watches. */
  readonly homeRegion: string;
  /** The signing roles' names (`gantry-<step>-<home region>`). */
  readonly roleNames: readonly string[];
}

/**
 * `GantryIamWatch` (us-east-1, only for a control plane elsewhere): CloudTrail delivers IAM's
 * management events to EventBridge in us-east-1 alone, so the signer-tampering rule of the
 * control plane's region would never see a signing role's trust or policies change. This rule
 * forwards exactly those calls to the control plane region's default bus, where that rule
 * sends them to the alarm topic.
 */
export class GantryIamWatchStack extends Stack {
  readonly forward: Rule;

  constructor(scope: Construct, id: string, props: GantryIamWatchStackProps) {
    super(scope, id, props);
    this.forward = new Rule(this, 'SigningRoleCalls', {
      description: `Changes to Gantry's signing roles, forwarded to ${props.homeRegion}'s default bus (its signer-tampering rule)`,
      eventPattern: {
        source: ['aws.iam'],
        detailType: [CLOUDTRAIL_API_CALL],
        detail: roleTamperingDetail(props.roleNames),
      },
    });
    const home = EventBus.fromEventBusArn(
      this,
      'HomeDefaultBus',
      `arn:${this.partition}:events:${props.homeRegion}:${this.account}:event-bus/default`,
    );
    // EventBridge forwards across regions with a role; only this account's rules may use it.
    const role = new Role(this, 'ForwardRole', {
      description: "EventBridge forwarding Gantry's signing-role calls to the control plane's region",
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });
    this.forward.addTarget(new EventBusTarget(home, { role }));
  }
}
