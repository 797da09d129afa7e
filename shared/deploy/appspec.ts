import { isDeepStrictEqual } from 'node:util';
import type { DeployTarget } from '../../events';

/**
 * How the bake check sends a Lambda target's traffic back after an alarm: all at once. The target
 * account's verify role may create deployments with this configuration only.
 */
export const BAKE_ROLLBACK_CONFIG = 'CodeDeployDefault.LambdaAllAtOnce';

/** The `description` every Gantry deployment carries: how a state-change event finds its run. */
export const DEPLOYMENT_DESCRIPTION_PREFIX = 'gantry run ';

export function deploymentDescription(runId: string): string {
  return `${DEPLOYMENT_DESCRIPTION_PREFIX}${runId}`;
}

const TRAFFIC_BACK = /^gantry rollback of run (\S+) after its bake$/;

/** The `description` of the deployment a run's bake check creates to send traffic back. */
export function trafficBackDescription(runId: string): string {
  return `gantry rollback of run ${runId} after its bake`;
}

/** The run whose bake check a deployment's description claims to send traffic back for, or null. */
export function trafficBackRunOf(description: string): string | null {
  return TRAFFIC_BACK.exec(description.trim())?.[1] ?? null;
}

/** The run a deployment belongs to, or null for deployments Gantry did not start (CloudFormation's, rollbacks). */
export function runIdOf(description: string): string | null {
  return description.startsWith(DEPLOYMENT_DESCRIPTION_PREFIX)
    ? description.slice(DEPLOYMENT_DESCRIPTION_PREFIX.length).trim() || null
    : null;
}

function hooks(target: DeployTarget): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  if (target.hooks.beforeAllowTraffic) out.push({ BeforeAllowTraffic: target.hooks.beforeAllowTraffic });
  if (target.hooks.afterAllowTraffic) out.push({ AfterAllowTraffic: target.hooks.afterAllowTraffic });
  return out;
}

/** A Lambda AppSpec: shift `alias` from `current` to `target`, running the target's hooks around it. */
export function lambdaAppSpec(target: DeployTarget, current: string, next: string): string {
  if (target.lambda === null) throw new Error('not a Lambda target');
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        [target.lambda.function]: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Name: target.lambda.function,
            Alias: target.lambda.alias,
            CurrentVersion: current,
            TargetVersion: next,
          },
        },
      },
    ],
    Hooks: hooks(target),
  });
}

/** An ECS AppSpec: replace the service's task set with `taskDefinitionArn` behind the same container and port. */
export function ecsAppSpec(target: DeployTarget, taskDefinitionArn: string): string {
  if (target.ecs === null) throw new Error('not an ECS target');
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: taskDefinitionArn,
            LoadBalancerInfo: { ContainerName: target.ecs.container, ContainerPort: target.ecs.port },
          },
        },
      },
    ],
    Hooks: hooks(target),
  });
}

/** Whether two AppSpecs say the same thing (one as CodeDeploy stored it, one as Gantry writes it). */
export function sameAppSpec(a: string, b: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}
