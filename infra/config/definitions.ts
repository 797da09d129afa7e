import type { DeployTarget, PipelineDefinition } from '../../events';
import { buildProjectName, customConfigName } from '../../shared/config/names';
import { deploymentConfigName, PREDEFINED_STRATEGIES } from '../../shared/deploy/target';
import { connectionSecretName, type DeployConfig, type GantryConfig, type PipelineConfig } from './schema';
import { strategyLabel } from './strategy';

/** The function name of the sample stack's pre- and post-traffic hook. */
export const SAMPLE_TRAFFIC_HOOK = 'gantry-traffic-hook';

/**
 * A pipeline's config as its state machine hands it to ResolvePlan: approver groups expanded
 * into the identities (IAM principals, Git usernames, emails) that may decide.
 */
export function pipelineDefinition(config: GantryConfig, pipeline: PipelineConfig): PipelineDefinition {
  const connection = config.connections.find((c) => c.name === pipeline.source.connection);
  if (connection === undefined)
    throw new Error(`pipeline ${pipeline.name}: no connection ${pipeline.source.connection}`);
  return {
    name: pipeline.name,
    source: pipeline.source,
    triggers: {
      ...(pipeline.triggers.push
        ? { push: { branches: pipeline.triggers.push.branches, exclude: pipeline.triggers.push.exclude ?? [] } }
        : {}),
      ...(pipeline.triggers.tags
        ? { tags: { include: pipeline.triggers.tags.include, exclude: pipeline.triggers.tags.exclude ?? [] } }
        : {}),
      ...(pipeline.triggers.pullRequests
        ? {
            pullRequests: {
              targetBranches: pipeline.triggers.pullRequests.targetBranches,
              exclude: pipeline.triggers.pullRequests.exclude ?? [],
              forks: pipeline.triggers.pullRequests.forks,
            },
          }
        : {}),
    },
    build: {
      projectName: buildProjectName(pipeline.name, 'ungated'),
      gatedProjectName: buildProjectName(pipeline.name, 'gated'),
      untrustedProjectName: buildProjectName(pipeline.name, 'untrusted'),
      env: {},
    },
    gates: pipeline.gates,
    environments: pipeline.environments.map((env) => ({
      name: env.name,
      branches: env.branches,
      approval: env.approval,
      approvers: members(config, env.approval.approverGroups),
      operators: members(config, env.operators ?? env.approval.approverGroups),
      deploy: env.deploy ? deployTarget(pipeline.name, env.name, env.deploy, config.controlPlane?.account) : null,
    })),
    concurrency: pipeline.concurrency,
    operators: members(config, pipeline.operators),
    identityCenterRoles: config.approvers.identityCenterRoles,
    status: { connection: connection.name, secretId: connectionSecretName(connection) },
  };
}

/** The people in any of `groups`, each once, as the state machine carries them. */
function members(config: GantryConfig, groups: readonly string[]): PipelineDefinition['operators'] {
  return [...new Set(groups.flatMap((g) => config.approvers.groups[g] ?? []))].map((identity) => {
    const person = config.approvers.identities[identity];
    return {
      identity,
      principals: person?.principals ?? [],
      identityCenter: person?.identityCenter ?? [],
      git: person?.git ?? {},
      ...(person?.gitIds ? { gitIds: person.gitIds } : {}),
      emails: person?.emails ?? [],
      ...(person?.slack ? { slack: person.slack } : {}),
      ...(person?.oidc ? { oidc: person.oidc } : {}),
    };
  });
}

/**
 * An environment's deploy config as the Deploy step reads it: names resolved, minutes in seconds,
 * the account only when it is not the control plane's (`home`).
 */
export function deployTarget(pipeline: string, environment: string, deploy: DeployConfig, home?: string): DeployTarget {
  const kind = deploy.lambda ? 'lambda' : 'ecs';
  const strategy = deploy.strategy;
  const shift =
    typeof strategy === 'string'
      ? { ...PREDEFINED_STRATEGIES[strategy] }
      : 'canary' in strategy
        ? { type: 'TimeBasedCanary' as const, percent: strategy.canary.percent, minutes: strategy.canary.minutes }
        : { type: 'TimeBasedLinear' as const, percent: strategy.linear.percent, minutes: strategy.linear.everyMinutes };
  const defaultHook = deploy.sample ? SAMPLE_TRAFFIC_HOOK : null;
  return {
    kind,
    account: deploy.account !== undefined && deploy.account !== home ? deploy.account : null,
    application: deploy.application,
    deploymentGroup: deploy.deploymentGroup,
    deploymentConfig: deploymentConfigName(
      kind,
      typeof strategy === 'string' ? strategy : '',
      customConfigName(pipeline, environment),
    ).name,
    strategy: strategyLabel(strategy),
    shift,
    bakeSeconds: deploy.bakeMinutes * 60,
    timeoutSeconds: deploy.timeoutMinutes * 60,
    lambda: deploy.lambda
      ? {
          function: deploy.lambda.function,
          alias: deploy.lambda.alias,
          artifact: deploy.lambda.artifact,
          configurationChanges: deploy.lambda.configurationChanges,
        }
      : null,
    ecs: deploy.ecs
      ? {
          cluster: deploy.ecs.cluster,
          service: deploy.ecs.service,
          container: deploy.ecs.container,
          port: deploy.ecs.port,
          taskDefinitionArtifact: deploy.ecs.taskDefinitionArtifact,
          family: deploy.ecs.taskDefinitionFamily ?? deploy.ecs.service,
        }
      : null,
    hooks: {
      beforeAllowTraffic: deploy.hooks?.beforeAllowTraffic ?? defaultHook,
      afterAllowTraffic: deploy.hooks?.afterAllowTraffic ?? defaultHook,
    },
  };
}
