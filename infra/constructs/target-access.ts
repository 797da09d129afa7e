import { Stack } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { type CfnRole, PolicyDocument, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CODEDEPLOY_STATE_CHANGE, DEPLOYMENT_END_STATES } from '../../events';
import {
  EVENT_BUS_NAME,
  RUN_ID_SESSION_TAG,
  TARGET_ROLE_KINDS,
  type TargetRoleKind,
  targetRoleName,
} from '../../shared/config/names';
import { customConfig, type NamedTarget } from './deployments';
import { TargetGrants } from './target-grants';

/** The control plane a target account serves: where it is and which of its roles act here. */
export interface ControlPlaneRef {
  readonly account: string;
  readonly region: string;
  /**
   * ARNs of the control plane's step roles that call into this account, per target role: exactly
   * these may assume it. A kind with none gets no role.
   */
  readonly stepRoles: Readonly<Record<TargetRoleKind, readonly string[]>>;
}

export interface TargetAccessProps {
  readonly controlPlane: ControlPlaneRef;
  /** The deploy targets in this account. */
  readonly targets: readonly NamedTarget[];
}

const DESCRIPTIONS: Readonly<Record<TargetRoleKind, string>> = {
  deploy: 'releases into this account (Deploy step)',
  verify: 'reads, stops and rolls back its deployments here after a release (DeployCheck step)',
  stop: 'reads and stops its deployments here (cancel, supersede, failure, deployment events)',
};

/** Construct ids: the release role keeps the id it had when it was the only one. */
const IDS: Readonly<Record<TargetRoleKind, string>> = { deploy: 'DeployRole', verify: 'VerifyRole', stop: 'StopRole' };

/**
 * What a target account gives the control plane: a role per kind of work ({@link TARGET_ROLE_KINDS}),
 * each assumable only by the control plane's step roles of that kind (with a run-id session tag) and
 * allowed only what those steps call: only the release role publishes code, reads the release
 * artifacts and creates deployments with the configured shift; the verify role may create only an
 * all-at-once rollback deployment of a Lambda target; the stop role only reads and stops
 * deployments. Besides: Gantry's custom traffic-shifting configurations, and a rule that forwards
 * CodeDeploy's state changes to the control plane's bus.
 */
export class TargetAccess extends Construct {
  /** The target roles, by kind (absent: no control-plane step assumes that kind). */
  readonly roles: Readonly<Partial<Record<TargetRoleKind, Role>>>;
  readonly forwarder: Rule;

  constructor(scope: Construct, id: string, props: TargetAccessProps) {
    super(scope, id);
    const { controlPlane, targets } = props;
    if (TARGET_ROLE_KINDS.every((kind) => controlPlane.stepRoles[kind].length === 0))
      throw new Error('a target account must trust some control-plane role');
    for (const { pipeline, environment, target } of targets) customConfig(this, pipeline, environment, target);
    const roles: Partial<Record<TargetRoleKind, Role>> = {};
    for (const kind of TARGET_ROLE_KINDS) {
      const trusted = controlPlane.stepRoles[kind];
      if (trusted.length > 0) roles[kind] = this.targetRole(kind, controlPlane.account, trusted);
    }
    this.roles = roles;
    const grants = new TargetGrants(this, props);
    if (roles.deploy) grants.release(roles.deploy);
    if (roles.verify) grants.verify(roles.verify);
    if (roles.stop) grants.stop(roles.stop);
    this.forwarder = this.forwardStateChanges(props);
  }

  private targetRole(kind: TargetRoleKind, controlPlaneAccount: string, trusted: readonly string[]): Role {
    const role = new Role(this, IDS[kind], {
      roleName: targetRoleName(kind, controlPlaneAccount),
      description: `Gantry control plane ${controlPlaneAccount}: ${DESCRIPTIONS[kind]}`,
      // Replaced below: the trust policy names each step role, with conditions.
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    (role.node.defaultChild as CfnRole).assumeRolePolicyDocument = trustPolicy(controlPlaneAccount, trusted);
    return role;
  }

  private forwardStateChanges({ controlPlane, targets }: TargetAccessProps): Rule {
    const bus = EventBus.fromEventBusArn(
      this,
      'ControlPlaneBus',
      `arn:${Stack.of(this).partition}:events:${controlPlane.region}:${controlPlane.account}:event-bus/${EVENT_BUS_NAME}`,
    );
    const rule = new Rule(this, 'StateChanges', {
      description: "Forwards the end of Gantry targets' CodeDeploy deployments to the control plane's bus",
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: [CODEDEPLOY_STATE_CHANGE],
        detail: {
          state: [...DEPLOYMENT_END_STATES],
          application: [...new Set(targets.map((t) => t.target.application))],
        },
      },
    });
    rule.addTarget(new EventBusTarget(bus));
    return rule;
  }
}

/**
 * Exactly the given step roles, from the control plane's account, may assume the role; the session
 * is named `gantry-<run>` and must carry the run id as a session tag (CloudTrail here shows it).
 */
function trustPolicy(controlPlaneAccount: string, stepRoles: readonly string[]): PolicyDocument {
  const principals = { AWS: [...stepRoles] };
  const who = {
    StringEquals: { 'aws:PrincipalAccount': controlPlaneAccount },
    ArnEquals: { 'aws:PrincipalArn': [...stepRoles] },
  };
  return PolicyDocument.fromJson({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ControlPlaneSteps',
        Effect: 'Allow',
        Principal: principals,
        Action: 'sts:AssumeRole',
        // The TagSession statement alone is only evaluated when tags are passed: require the tag here too.
        Condition: {
          ...who,
          StringLike: { 'sts:RoleSessionName': 'gantry-*' },
          Null: { [`aws:RequestTag/${RUN_ID_SESSION_TAG}`]: 'false' },
        },
      },
      {
        Sid: 'RunIdSessionTag',
        Effect: 'Allow',
        Principal: principals,
        Action: 'sts:TagSession',
        Condition: {
          ...who,
          Null: { [`aws:RequestTag/${RUN_ID_SESSION_TAG}`]: 'false' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [RUN_ID_SESSION_TAG] },
        },
      },
    ],
  });
}
