import { Duration, Stack } from 'aws-cdk-lib';
import { type EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, type CfnRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CODEDEPLOY_STATE_CHANGE, DEPLOYMENT_END_STATES } from '../../events';
import { TARGET_ROLES_ENV } from '../../shared/aws/target-roles';
import { stepRoleName, targetDeployRoleArn } from '../../shared/config/names';
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

/** The control plane as a target account's stack sees it: its named step roles, by ARN. */
export function controlPlaneRef(
  controlPlane: ControlPlaneConfig,
  steps: readonly CrossAccountStep[],
  partition = 'aws',
): ControlPlaneRef {
  return {
    account: controlPlane.account,
    region: controlPlane.region,
    stepRoles: steps.map(
      (step) => `arn:${partition}:iam::${controlPlane.account}:role/${stepRoleName(step, controlPlane.region)}`,
    ),
  };
}

export interface CrossAccountDeploymentsProps {
  readonly controlPlane: ControlPlaneConfig;
  /** The deploy targets outside the control plane's account. */
  readonly targets: readonly NamedTarget[];
  /** The functions that act in target accounts, by step. */
  readonly steps: Partial<Record<CrossAccountStep, GantryFunction>>;
  /** The control plane's bus: target accounts forward CodeDeploy's state changes to it. */
  readonly bus: EventBus;
  /** Resumes a run whose deployment ended. */
  readonly events: GantryFunction;
  readonly deadLetters: IQueue;
}

/**
 * The control plane's half of releasing into other accounts: each step role gets a fixed name
 * (the target stacks trust it by ARN) and may assume exactly the target accounts' deploy roles;
 * the bus accepts CodeDeploy's state changes from those accounts only, and a rule hands them to
 * the deployment events function.
 */
export class CrossAccountDeployments extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: CrossAccountDeploymentsProps) {
    super(scope, id);
    const { controlPlane } = props;
    const accounts = [...new Set(props.targets.flatMap((t) => (t.target.account ? [t.target.account] : [])))];
    const stack = Stack.of(this);
    const roles = Object.fromEntries(
      accounts.map((a) => [a, targetDeployRoleArn(a, controlPlane.account, stack.partition)]),
    );
    const assume = new PolicyStatement({
      actions: ['sts:AssumeRole', 'sts:TagSession'],
      resources: Object.values(roles),
    });
    for (const [step, fn] of Object.entries(props.steps)) {
      (fn.role.node.defaultChild as CfnRole).roleName = stepRoleName(step, controlPlane.region);
      fn.function.addToRolePolicy(assume);
      fn.function.addEnvironment(TARGET_ROLES_ENV, stack.toJsonString(roles));
    }
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
          application: [...new Set(props.targets.map((t) => t.target.application))],
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
