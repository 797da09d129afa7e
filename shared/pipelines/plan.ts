import type {
  BuildTrust,
  GitPerson,
  PipelineDefinition,
  PlanRequest,
  RunPlan,
  SourceEvent,
  Trigger,
} from '../../events';
import { HISTORY_APIS } from '../history/providers';
import { shaOrNull } from '../webhooks/payload';
import { type BuildClass, buildClassOf } from './artifact-layout';
import { branchSelected } from './branches';

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
  // An environment's lane is its name (config names have no `:`); any other lane says what it is,
  // so a branch or tag named like an environment never shares (or supersedes) its lane.
  const laneName =
    environment?.name ??
    (trigger === 'pull_request'
      ? `pr:${source.pullRequest?.number ?? 0}`
      : source.branch !== null
        ? `branch:${source.branch}`
        : `tag:${source.tag ?? source.ref ?? 'ref'}`);
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
    retry: null,
    lane: `${pipeline.name}#${laneName}`,
    concurrency: pipeline.concurrency,
    approval: approvalPolicyOf(environment),
    build: {
      trust: trustOf(trigger),
      projectName: buildProjectOf(
        pipeline.build,
        buildClassOf({ build: { trust: trustOf(trigger) }, approval: approvalPolicyOf(environment) }),
      ),
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
      // One status per environment: a commit released to prod and also pushed to a preview branch
      // must not have prod's failure replaced by the preview's success (the last report wins).
      context: environment === null ? `gantry/${pipeline.name}` : `gantry/${pipeline.name}/${environment.name}`,
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
      participants: participantsOf(
        source.commits,
        [source.pusher, source.sender, source.pullRequest?.author ?? null],
        [source.senderId ?? null],
      ),
      incomplete: rangeGap(source),
      before: shaOrNull(source.before),
      after: shaOrNull(source.after),
      listedBy: 'delivery',
      pullRequests: null,
    },
  };
}

/** GitHub lists at most this many commits in a push delivery. */
const MOST_COMMITS_LISTED = 2048;

/** Why a delivery may not name everyone who wrote or committed the change, or null when it does. */
function rangeGap(source: SourceEvent): string | null {
  const listed = source.commits.length;
  if (listed === 0) return 'the delivery lists none of the change’s commits';
  // A push that creates a branch lists only the commits new to the repository, not those it
  // brings from other branches.
  if (source.kind === 'push' && shaOrNull(source.before) === null)
    return 'the push creates its branch, so its delivery lists only the commits new to the repository';
  if (source.totalCommits !== null && listed < source.totalCommits)
    return `the delivery lists ${listed} of the change’s ${source.totalCommits} commits`;
  // Gitea and Forgejo list at most FeedMaxCommitNum commits (5 unless configured) in a push; the
  // older ones do not say how many there were.
  if (source.totalCommits === null && (source.provider === 'gitea' || source.provider === 'forgejo'))
    return `the delivery lists ${listed} commits and does not say how many the change has (${source.provider} lists only the last few)`;
  if (listed >= MOST_COMMITS_LISTED) return `the delivery lists ${listed} commits, the most a provider sends`;
  const unnamed = source.commits.filter((c) => c.committer === undefined).length;
  // Bitbucket Cloud keeps no committers at all: its authors are all there is to compare.
  if (unnamed > 0 && HISTORY_APIS[source.provider].namesCommitters)
    return `the delivery does not name the committer of ${unnamed} of its ${listed} commits`;
  return null;
}

/** The e-mails and accounts of every author and committer of `commits`, of `others` (accounts), and `ids` (account ids). */
export function participantsOf(
  commits: readonly { author: GitPerson; committer?: GitPerson | undefined }[],
  others: readonly (string | null)[],
  ids: readonly (string | null)[] = [],
): RunPlan['change']['participants'] {
  const people = commits.flatMap((c) => (c.committer === undefined ? [c.author] : [c.author, c.committer]));
  return {
    emails: unique(people.map((p) => p.email)),
    usernames: unique([...people.map((p) => p.username ?? null), ...others]),
    ids: unique(ids),
  };
}

function unique(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null && v !== '').map((v) => v.toLowerCase()))];
}

function whySkip(pipeline: PipelineDefinition, trigger: string, source: SourceEvent): string | null {
  // A repository of the same name at another provider is another repository (the rule matches the
  // provider too; this holds for an execution started some other way).
  if (source.provider !== pipeline.source.provider)
    return `delivered by ${source.provider}, but ${pipeline.name} builds ${pipeline.source.repository} at ${pipeline.source.provider}`;
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

/** The project a class of builds runs in (see BUILD_CLASSES): each has a role, and a prefix, of its own. */
export function buildProjectOf(build: PipelineDefinition['build'], cls: BuildClass): string {
  if (cls === 'gated') return build.gatedProjectName;
  return cls === 'ungated' ? build.projectName : build.untrustedProjectName;
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

/** The approval a run into `environment` waits for, as the plan records it (null: none). */
export function approvalPolicyOf(
  environment: PipelineDefinition['environments'][number] | null | undefined,
): RunPlan['approval'] {
  if (!environment?.approval.required) return null;
  return {
    required: true,
    minApprovals: environment.approval.minApprovals,
    timeoutSeconds: environment.approval.timeoutMinutes * 60,
    separationOfDuties: environment.approval.separationOfDuties,
    approvers: environment.approvers,
  };
}
