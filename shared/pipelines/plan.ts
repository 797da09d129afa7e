import { z } from 'zod';
import { type SourceEvent, SourceEventSchema } from '../../events';
import { DeployTargetSchema } from '../deploy/target';
import { GatesSchema } from '../gates/schema';
import { BUILD_TRUSTS, type BuildTrust } from './artifact-layout';
import { branchSelected } from './branches';
import { EligibleApproverSchema, type PipelineDefinition, PipelineDefinitionSchema } from './definition';

export const TRIGGERS = ['push', 'tag', 'pull_request'] as const;
export type Trigger = (typeof TRIGGERS)[number];
/** What starts a run: a change's trigger, or an operator's rollback. */
export const RUN_TRIGGERS = [...TRIGGERS, 'rollback'] as const;

/** ResolvePlan's input: what admission handed the run, plus the execution's identity. */
export const PlanRequestSchema = z.object({
  pipeline: PipelineDefinitionSchema,
  trigger: z.enum(TRIGGERS),
  source: SourceEventSchema,
  execution: z.object({ id: z.string(), name: z.string() }),
});
export type PlanRequest = z.infer<typeof PlanRequestSchema>;

/**
 * ResolvePlan's input: the pipeline, the execution's identity (from the context object), and the
 * execution's whole input as `start`, which only two paths send: admission (a change's trigger
 * and source) and the operator API (a rollback's run id). Anything else fails here, on the record.
 */
export const ResolveRequestSchema = z.object({
  pipeline: PipelineDefinitionSchema,
  start: z.union([
    z.object({ rollback: z.object({ runId: z.string().min(1) }) }),
    // Admission's StartExecution (associateWithParent) adds AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.
    z.object({ trigger: z.enum(TRIGGERS), source: SourceEventSchema }),
  ]),
  execution: z.object({ id: z.string(), name: z.string() }),
});
export type ResolveRequest = z.infer<typeof ResolveRequestSchema>;

/** What a run will do, decided once at its start; every later step reads it. */
export const RunPlanSchema = z.object({
  runId: z.string(),
  executionArn: z.string(),
  pipeline: z.string(),
  trigger: z.enum(RUN_TRIGGERS),
  skip: z.boolean(),
  skipReason: z.string().nullable(),
  repository: z.string(),
  commit: z.string(),
  ref: z.string().nullable(),
  branch: z.string().nullable(),
  pullRequest: z.number().int().nullable(),
  environment: z.string().nullable(),
  deploy: z.boolean(),
  /** Where and how the run releases (null: it does not deploy). */
  deployTarget: DeployTargetSchema.nullable().default(null),
  /** A rollback run: the revision it redeploys, and why (null for runs of a change). */
  rollback: z
    .object({
      ofRunId: z.string().nullable(),
      toRunId: z.string(),
      version: z.string(),
      reason: z.string(),
      requestedBy: z.string(),
    })
    .nullable()
    .default(null),
  lane: z.string(),
  concurrency: z.enum(['queued', 'superseded']),
  approval: z
    .object({
      required: z.literal(true),
      minApprovals: z.number().int(),
      timeoutSeconds: z.number().int(),
      separationOfDuties: z.boolean(),
      approvers: z.array(EligibleApproverSchema),
    })
    .nullable(),
  build: z.object({
    /**
     * `trusted` only for refs a push or tag trigger names: the release project, with the
     * pipeline's secrets. Pull requests build in the untrusted project, which has neither
     * secrets nor access to release artifacts, and can never be deployed.
     */
    trust: z.enum(BUILD_TRUSTS),
    projectName: z.string(),
    cloneUrl: z.string(),
    commit: z.string(),
    env: z.array(z.object({ name: z.string(), value: z.string(), type: z.literal('PLAINTEXT') })),
  }),
  gates: GatesSchema,
  status: z.object({
    provider: z.string(),
    connection: z.string(),
    secretId: z.string(),
    context: z.string(),
    repository: z.string(),
    commit: z.string(),
  }),
  change: z.object({
    authorName: z.string().nullable(),
    authorEmail: z.string().nullable(),
    pusher: z.string().nullable(),
    sender: z.string().nullable(),
    message: z.string().nullable(),
    deliveryId: z.string(),
    eventId: z.string(),
    /** Everyone the delivery says took part: every listed commit's author, the pusher, the sender, the PR's author. */
    participants: z
      .object({ emails: z.array(z.string()), usernames: z.array(z.string()) })
      .default({ emails: [], usernames: [] }),
    /** Why the delivery may not list every commit of the change (null: it does). */
    incomplete: z.string().nullable().default(null),
  }),
});
export type RunPlan = z.infer<typeof RunPlanSchema>;

/**
 * Works out the plan for one change: which environment a push deploys to, whether approval is
 * needed, and what to build. Pull requests are validated (build and gates) and never deploy;
 * a change no trigger of this pipeline selects is skipped (an exclude glob, a closed PR).
 */
export function resolvePlan(request: PlanRequest): RunPlan {
  const { pipeline, trigger, source } = request;
  const skipReason = whySkip(pipeline, trigger, source);
  const environment =
    trigger === 'push' && skipReason === null && source.branch !== null
      ? environmentFor(pipeline, source.branch)
      : null;
  const commit = source.headSha ?? source.after ?? '';
  const head = source.commits.at(-1);
  const laneName =
    environment?.name ??
    (trigger === 'pull_request' ? `pr-${source.pullRequest?.number ?? 0}` : (source.branch ?? source.tag ?? 'ref'));
  return {
    runId: request.execution.name,
    executionArn: request.execution.id,
    pipeline: pipeline.name,
    trigger,
    skip: skipReason !== null,
    skipReason,
    repository: source.repository.fullName ?? pipeline.source.repository,
    commit,
    ref: source.ref,
    branch: source.branch,
    pullRequest: source.pullRequest?.number ?? null,
    environment: environment?.name ?? null,
    deploy: environment?.deploy != null,
    deployTarget: environment?.deploy ?? null,
    rollback: null,
    lane: `${pipeline.name}#${laneName}`,
    concurrency: pipeline.concurrency,
    approval: environment?.approval.required
      ? {
          required: true,
          minApprovals: environment.approval.minApprovals,
          timeoutSeconds: environment.approval.timeoutMinutes * 60,
          separationOfDuties: environment.approval.separationOfDuties,
          approvers: environment.approvers,
        }
      : null,
    build: {
      trust: trustOf(trigger),
      projectName: trustOf(trigger) === 'trusted' ? pipeline.build.projectName : pipeline.build.untrustedProjectName,
      // A fork's head commit is fetched from the target repository, where providers publish PR heads.
      cloneUrl: source.repository.cloneUrl ?? '',
      commit,
      env: buildEnv(pipeline, trigger, source, environment?.name ?? null),
    },
    gates: pipeline.gates,
    status: {
      provider: pipeline.source.provider,
      connection: pipeline.status.connection,
      secretId: pipeline.status.secretId,
      context: `gantry/${pipeline.name}`,
      repository: source.repository.fullName ?? pipeline.source.repository,
      commit,
    },
    change: {
      authorName: head?.author.name ?? null,
      authorEmail: head?.author.email ?? null,
      pusher: source.pusher,
      sender: source.sender,
      message: head?.message.split('\n', 1)[0] ?? null,
      deliveryId: source.deliveryId,
      eventId: source.eventId,
      participants: {
        emails: unique(source.commits.map((c) => c.author.email)),
        usernames: unique([source.pusher, source.sender, source.pullRequest?.author ?? null]),
      },
      incomplete: rangeGap(source),
    },
  };
}

/** GitHub lists at most this many commits in a push delivery. */
const MOST_COMMITS_LISTED = 2048;

/** Why a delivery may not name everyone who wrote the change, or null when it lists every commit. */
function rangeGap(source: SourceEvent): string | null {
  const listed = source.commits.length;
  if (listed === 0) return 'the delivery lists none of the change’s commits';
  if (source.totalCommits !== null && listed < source.totalCommits)
    return `the delivery lists ${listed} of the change’s ${source.totalCommits} commits`;
  if (listed >= MOST_COMMITS_LISTED) return `the delivery lists ${listed} commits, the most a provider sends`;
  return null;
}

function unique(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null && v !== '').map((v) => v.toLowerCase()))];
}

function whySkip(pipeline: PipelineDefinition, trigger: string, source: SourceEvent): string | null {
  if (source.headSha === null) return 'the change deletes its ref: nothing to build';
  if (trigger === 'push') {
    const t = pipeline.triggers.push;
    if (t === undefined || source.branch === null) return 'no push trigger';
    return branchSelected(source.branch, t.branches, t.exclude) ? null : `branch ${source.branch} is excluded`;
  }
  if (trigger === 'tag') {
    const t = pipeline.triggers.tags;
    if (t === undefined || source.tag === null) return 'no tag trigger';
    return branchSelected(source.tag, t.include, t.exclude) ? null : `tag ${source.tag} is excluded`;
  }
  const t = pipeline.triggers.pullRequests;
  const pr = source.pullRequest;
  if (t === undefined || pr === null) return 'no pull request trigger';
  if (pr.action !== 'opened' && pr.action !== 'updated') return `pull request ${pr.action}: nothing to validate`;
  if (pr.fromFork && t.forks !== 'build')
    return `pull request from the fork ${pr.sourceRepository ?? '(unknown)'}: forks are not built (set triggers.pullRequests.forks: build to build them, untrusted)`;
  return pr.targetBranch !== null && branchSelected(pr.targetBranch, t.targetBranches, t.exclude)
    ? null
    : `target branch ${pr.targetBranch} is excluded`;
}

/** Only a ref that a push or tag trigger names builds trusted; anything a pull request brings does not. */
function trustOf(trigger: Trigger): BuildTrust {
  return trigger === 'push' || trigger === 'tag' ? 'trusted' : 'untrusted';
}

/** The first environment whose branch globs select the branch. */
function environmentFor(
  pipeline: PipelineDefinition,
  branch: string,
): PipelineDefinition['environments'][number] | null {
  return pipeline.environments.find((e) => branchSelected(branch, e.branches)) ?? null;
}

function buildEnv(pipeline: PipelineDefinition, trigger: Trigger, source: SourceEvent, environment: string | null) {
  const vars: Record<string, string> = {
    ...pipeline.build.env,
    GANTRY_PIPELINE: pipeline.name,
    GANTRY_TRIGGER: trigger,
    GANTRY_REPOSITORY: source.repository.fullName ?? pipeline.source.repository,
    GANTRY_COMMIT: source.headSha ?? '',
    GANTRY_BRANCH: source.branch ?? source.pullRequest?.sourceBranch ?? '',
    GANTRY_ENVIRONMENT: environment ?? '',
  };
  return Object.entries(vars).map(([name, value]) => ({ name, value, type: 'PLAINTEXT' as const }));
}
