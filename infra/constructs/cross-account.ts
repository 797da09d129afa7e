import { Duration, Stack } from 'aws-cdk-lib';
import { type EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, type CfnRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CODEDEPLOY_STATE_CHANGE, DEPLOYMENT_END_STATES } from '../../events';
import { TARGET_ROLES_ENV } from '../../shared/aws/target-roles';
import { stepRoleName, TARGET_ROLE_KINDS, type TargetRoleKind, targetRoleArn } from '../../shared/config/names';
import type { ControlPlaneConfig } from '../config/schema';
import type { NamedTarget } from './deployments';
import type { GantryFunction } from './gantry-function';
import type { ControlPlaneRef } from './target-access';

/**
 * The control plane's steps that call into target accounts: Deploy and its checks, the
 * deployment events, ResolvePlan (stops a superseded run's deployment), RecordFailure, and the
 * operator API (an operator's cancel stops a deployment). Never the console: it acts only by
 * invoking the operator API's function.
 */
export const CROSS_ACCOUNT_STEPS = [
  'deploy-release',
  'deploy-verify',
  'deploy-events',
  'resolve-plan',
  'record-failure',
  'operator-api',
] as const;
export type CrossAccountStep = (typeof CROSS_ACCOUNT_STEPS)[number];

/**
 * The target role each step assumes: only Deploy releases; DeployCheck reads, stops and rolls back
 * to a version the release published; the others only read and stop deployments.
 */
export const TARGET_ROLE_OF: Readonly<Record<CrossAccountStep, TargetRoleKind>> = {
  'deploy-release': 'deploy',
  'deploy-verify': 'verify',
  'deploy-events': 'stop',
  'resolve-plan': 'stop',
  'record-failure': 'stop',
  'operator-api': 'stop',
};

/** The control plane as a target account's stack sees it: its named step roles, by ARN, per target role. */
export function controlPlaneRef(
  controlPlane: ControlPlaneConfig,
  steps: readonly CrossAccountStep[],
  partition = 'aws',
): ControlPlaneRef {
  const arnOf = (step: CrossAccountStep) =>
    `arn:${partition}:iam::${controlPlane.account}:role/${stepRoleName(step, controlPlane.region)}`;
  const stepRoles = Object.fromEntries(
    TARGET_ROLE_KINDS.map((kind) => [kind, steps.filter((step) => TARGET_ROLE_OF[step] === kind).map(arnOf)]),
  ) as Record<TargetRoleKind, string[]>;
  return { account: controlPlane.account, region: controlPlane.region, stepRoles };
}

/**
 * The accounts other than the control plane's that deploy targets live in, as the control plane's
 * acting steps see them. Each step's owning construct calls {@link grantAssumeTargetRoles} on its
 * function: the role gets a fixed name (the target stacks trust it by ARN), may assume exactly
 * its own kind of target role ({@link TARGET_ROLE_OF}) in those accounts, and finds their ARNs in
 * its environment.
 */
export class TargetAccounts {
  /** The target accounts, each once. */
  readonly accounts: readonly string[];

  constructor(
    private readonly controlPlane: ControlPlaneConfig,
    /** The deploy targets outside the control plane's account. */
    readonly targets: readonly NamedTarget[],
  ) {
    this.accounts = [...new Set(targets.flatMap((t) => (t.target.account ? [t.target.account] : [])))];
  }

  /** Lets `fn`, the function of `step`, act in the target accounts as the role its step is given there. */
  grantAssumeTargetRoles(fn: GantryFunction, step: CrossAccountStep): void {
    const stack = Stack.of(fn);
    const kind = TARGET_ROLE_OF[step];
    const roles = Object.fromEntries(
      this.accounts.map((a) => [a, targetRoleArn(kind, a, this.controlPlane.account, stack.partition)]),
    );
    (fn.role.node.defaultChild as CfnRole).roleName = stepRoleName(step, this.controlPlane.region);
    fn.function.addToRolePolicy(
      new PolicyStatement({ actions: ['sts:AssumeRole', 'sts:TagSession'], resources: Object.values(roles) }),
    );
    fn.function.addEnvironment(TARGET_ROLES_ENV, stack.toJsonString(roles));
  }
}

export interface CrossAccountDeploymentsProps {
  /** The target accounts and the deploy targets in them. */
  readonly accounts: TargetAccounts;
  /** The control plane's bus: target accounts forward CodeDeploy's state changes to it. */
  readonly bus: EventBus;
  /** Resumes a run whose deployment ended. */
  readonly events: GantryFunction;
  readonly deadLetters: IQueue;
}

/**
 * The control plane's half of releasing into other accounts, besides the steps' own grants
 * ({@link TargetAccounts}): the bus accepts CodeDeploy's state changes from those accounts only,
 * and a rule hands them to the deployment events function.
 */
export class CrossAccountDeployments extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: CrossAccountDeploymentsProps) {
    super(scope, id);
    const accounts = [...props.accounts.accounts];
    props.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GantryTargetAccounts',
        principals: accounts.map((a) => new AccountPrincipal(a)),
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': 'aws.codedeploy', 'events:detail-type': CODEDEPLOY_STATE_CHANGE },
        },
      }),
    );
    this.rule = new Rule(this, 'ForwardedStateChanges', {
      eventBus: props.bus,
      description: 'CodeDeploy deployments of Gantry targets in other accounts that ended (forwarded by their stacks)',
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: [CODEDEPLOY_STATE_CHANGE],
        account: accounts,
        detail: {
          state: [...DEPLOYMENT_END_STATES],
          application: [...new Set(props.accounts.targets.map((t) => t.target.application))],
        },
      },
    });
    this.rule.addTarget(
      new LambdaFunction(props.events.function, {
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: props.deadLetters,
      }),
    );
  }
}
