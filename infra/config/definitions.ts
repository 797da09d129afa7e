import type { PipelineDefinition } from '../../shared/pipelines/definition';
import { buildProjectName } from '../constructs/pipeline/names';
import { connectionSecretName, type GantryConfig, type PipelineConfig } from './schema';

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
            },
          }
        : {}),
    },
    build: { projectName: buildProjectName(pipeline.name), env: {} },
    gates: pipeline.gates,
    environments: pipeline.environments.map((env) => ({
      name: env.name,
      branches: env.branches,
      approval: env.approval,
      approvers: [...new Set(env.approval.approverGroups.flatMap((g) => config.approvers.groups[g] ?? []))].map(
        (identity) => ({
          identity,
          principals: config.approvers.identities[identity]?.principals ?? [],
          git: config.approvers.identities[identity]?.git ?? {},
          emails: config.approvers.identities[identity]?.emails ?? [],
        }),
      ),
    })),
    concurrency: pipeline.concurrency,
    status: { connection: connection.name, secretId: connectionSecretName(connection) },
  };
}
