import type * as z from 'zod/mini';
import { type BranchQuery, someBranch } from './globs';
import type { PipelineConfig } from './schema';

/**
 * Which branches an environment takes pushes from, the way a run decides it: a push to branch B
 * of repository R runs every pipeline whose `source.repository` is R (the trigger rule matches
 * the name alone, whatever the provider) and whose push trigger selects B (`branches`, less
 * `exclude`); each such run deploys to the FIRST environment of its pipeline whose `branches`
 * select B. That environment *claims* B. Tags and pull requests never deploy, so claim nothing.
 */
export function claimOf(pipeline: PipelineConfig, e: number): BranchQuery | null {
  const push = pipeline.triggers.push;
  const env = pipeline.environments[e];
  if (push === undefined || env === undefined) return null;
  const earlier = pipeline.environments.slice(0, e).flatMap((x) => x.branches);
  return { all: [push.branches, env.branches], none: [...(push.exclude ?? []), ...earlier] };
}

/**
 * Two environments claiming one branch, reported on the one declared later:
 * - of two pipelines on one repository: one push deploys twice, from two runs racing each other;
 * - of one pipeline: the first listed takes the branch, so a glob of a later environment whose
 *   every branch an earlier one claims deploys nothing, while the config says it does.
 * A glob that only partly overlaps an earlier environment's (`release/hotfix-*` listed before
 * `release/*`) is how a pipeline routes one kind of branch elsewhere, and is not reported.
 */
export function checkBranchClaims(pipelines: readonly PipelineConfig[], ctx: z.core.$RefinementCtx): void {
  pipelines.forEach((pipeline, i) => {
    pipeline.environments.forEach((_, e) => {
      checkShadowedGlobs(pipeline, i, e, ctx);
    });
    for (const first of pipelines.slice(0, i)) {
      if (first.source.repository !== pipeline.source.repository) continue;
      // One question settles most pairs: can a push deploy from both pipelines at all?
      const [mine, theirs] = [deploysFrom(pipeline), deploysFrom(first)];
      if (mine === null || theirs === null || someBranch(both(mine, theirs)) === null) continue;
      pipeline.environments.forEach((_, e) => {
        checkTwoPipelines(first, pipeline, i, e, ctx);
      });
    }
  });
}

/** The branches whose pushes deploy to some environment of the pipeline. */
function deploysFrom(pipeline: PipelineConfig): BranchQuery | null {
  const push = pipeline.triggers.push;
  if (push === undefined || pipeline.environments.length === 0) return null;
  return { all: [push.branches, pipeline.environments.flatMap((e) => e.branches)], none: push.exclude ?? [] };
}

function checkTwoPipelines(
  first: PipelineConfig,
  pipeline: PipelineConfig,
  i: number,
  e: number,
  ctx: z.core.$RefinementCtx,
): void {
  const mine = claimOf(pipeline, e);
  if (mine === null) return;
  first.environments.forEach((env, f) => {
    const theirs = claimOf(first, f);
    if (theirs === null) return;
    const branch = someBranch(both(mine, theirs));
    if (branch === null) return;
    const across =
      first.source.provider === pipeline.source.provider
        ? ''
        : ` (trigger rules match the repository name only, so ${first.source.provider} and ${pipeline.source.provider} pushes both run both)`;
    ctx.addIssue({
      code: 'custom',
      path: ['pipelines', i, 'environments', e, 'branches'],
      message: `a push to ${branch} of ${pipeline.source.repository} would deploy twice: here and to ${first.name}/${env.name}, which claims it too${across}`,
    });
  });
}

function checkShadowedGlobs(pipeline: PipelineConfig, i: number, e: number, ctx: z.core.$RefinementCtx): void {
  const push = pipeline.triggers.push;
  const env = pipeline.environments[e];
  if (push === undefined || env === undefined || e === 0) return;
  env.branches.forEach((glob, g) => {
    const selected = someBranch({ all: [push.branches, [glob]], none: push.exclude ?? [] });
    if (selected === null) return;
    const earlier = pipeline.environments.slice(0, e).flatMap((x) => x.branches);
    if (someBranch({ all: [push.branches, [glob]], none: [...(push.exclude ?? []), ...earlier] }) !== null) return;
    const takers = pipeline.environments
      .slice(0, e)
      .filter((_, f) => {
        const claim = claimOf(pipeline, f);
        return claim !== null && someBranch(both(claim, { all: [[glob]], none: [] })) !== null;
      })
      .map((x) => x.name);
    ctx.addIssue({
      code: 'custom',
      path: ['pipelines', i, 'environments', e, 'branches', g],
      message: `${glob} claims no branch: ${takers.join(' and ')}, listed first, already claim${takers.length === 1 ? 's' : ''} every branch it selects (e.g. ${selected}), and a push deploys to the first environment that selects its branch`,
    });
  });
}

function both(a: BranchQuery, b: BranchQuery): BranchQuery {
  return { all: [...a.all, ...b.all], none: [...a.none, ...b.none] };
}
