import type { Gates } from '../../events';
import { claimOf } from './claims';
import { someBranch } from './globs';
import type { DeployConfig, GantryConfig, PipelineConfig } from './schema';
import { strategyLabel } from './strategy';

/** What one pipeline does with each kind of change, as `gantry config validate` shows it. */
export interface PipelineSummary {
  readonly name: string;
  readonly source: PipelineConfig['source'];
  readonly triggers: {
    readonly push: { readonly branches: string[]; readonly exclude: string[] } | null;
    readonly tags: { readonly include: string[]; readonly exclude: string[] } | null;
    readonly pullRequests: {
      readonly targetBranches: string[];
      readonly exclude: string[];
      readonly forks: 'skip' | 'build';
    } | null;
  };
  /** Pushes, environment by environment in the order a run tries them. */
  readonly environments: readonly EnvironmentSummary[];
  /** A pushed branch the trigger runs but no environment takes (built and gated only), or null. */
  readonly buildOnlyExample: string | null;
  readonly build: { readonly buildspec: string; readonly computeSize: string; readonly timeoutMinutes: number };
  readonly gates: Gates;
  readonly concurrency: PipelineConfig['concurrency'];
  readonly operators: readonly string[];
}

export interface EnvironmentSummary {
  readonly name: string;
  readonly branches: readonly string[];
  /** A branch whose pushes deploy here, or null when none can (no push trigger selects one first). */
  readonly example: string | null;
  readonly approval: {
    readonly minApprovals: number;
    readonly approverGroups: readonly string[];
    readonly approvers: readonly string[];
    readonly separationOfDuties: boolean;
    readonly timeoutMinutes: number;
  } | null;
  readonly deploy: DeploySummary | null;
}

export interface DeploySummary {
  readonly kind: 'lambda' | 'ecs';
  /** `function:alias` or `cluster/service`. */
  readonly target: string;
  readonly application: string;
  readonly deploymentGroup: string;
  readonly strategy: string;
  readonly bakeMinutes: number;
}

/** Each pipeline of a valid config: triggers → environments → approvals → deploy targets. */
export function summarize(config: GantryConfig): PipelineSummary[] {
  return config.pipelines.map((pipeline) => summarizePipeline(config, pipeline));
}

function summarizePipeline(config: GantryConfig, pipeline: PipelineConfig): PipelineSummary {
  const { push, tags, pullRequests } = pipeline.triggers;
  const everyEnvironment = pipeline.environments.flatMap((e) => e.branches);
  return {
    name: pipeline.name,
    source: pipeline.source,
    triggers: {
      push: push ? { branches: push.branches, exclude: push.exclude ?? [] } : null,
      tags: tags ? { include: tags.include, exclude: tags.exclude ?? [] } : null,
      pullRequests: pullRequests
        ? {
            targetBranches: pullRequests.targetBranches,
            exclude: pullRequests.exclude ?? [],
            forks: pullRequests.forks,
          }
        : null,
    },
    environments: pipeline.environments.map((env, e) => {
      const claim = claimOf(pipeline, e);
      return {
        name: env.name,
        branches: env.branches,
        example: claim ? someBranch(claim) : null,
        approval: env.approval.required
          ? {
              minApprovals: env.approval.minApprovals,
              approverGroups: env.approval.approverGroups,
              approvers: [...new Set(env.approval.approverGroups.flatMap((g) => config.approvers.groups[g] ?? []))],
              separationOfDuties: env.approval.separationOfDuties,
              timeoutMinutes: env.approval.timeoutMinutes,
            }
          : null,
        deploy: env.deploy ? summarizeDeploy(env.deploy) : null,
      };
    }),
    buildOnlyExample: push
      ? someBranch({ all: [push.branches], none: [...(push.exclude ?? []), ...everyEnvironment] })
      : null,
    build: pipeline.build,
    gates: pipeline.gates,
    concurrency: pipeline.concurrency,
    operators: pipeline.operators,
  };
}

function summarizeDeploy(deploy: DeployConfig): DeploySummary {
  return {
    kind: deploy.lambda ? 'lambda' : 'ecs',
    target: deploy.lambda
      ? `${deploy.lambda.function}:${deploy.lambda.alias}`
      : `${deploy.ecs?.cluster}/${deploy.ecs?.service}`,
    application: deploy.application,
    deploymentGroup: deploy.deploymentGroup,
    strategy: strategyLabel(deploy.strategy),
    bakeMinutes: deploy.bakeMinutes,
  };
}
