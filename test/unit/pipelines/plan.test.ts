import { resolvePlan } from '../../../shared/pipelines/plan';
import { planRequest, pullRequestEvent, sourceEvent } from '../../support/plans';

describe('resolvePlan', () => {
  it.each([
    ['develop', 'dev', false],
    ['main', null, false],
    ['release/2.0', 'prod', true],
  ])('plans a push to %s for environment %s (approval %s)', (branch, environment, approval) => {
    const plan = resolvePlan(planRequest(sourceEvent({ branch, ref: `refs/heads/${branch}` })));
    expect(plan).toMatchObject({
      skip: false,
      environment,
      deploy: environment !== null,
      lane: `widgets#${environment ?? `branch:${branch}`}`,
    });
    expect(plan.approval !== null).toBe(approval);
  });

  it('reports each environment of one commit under its own status, so one cannot overwrite another', () => {
    // The same commit released to prod and pushed to a branch of another environment.
    const sha = { headSha: 'c'.repeat(40), after: 'c'.repeat(40) };
    const prod = resolvePlan(planRequest(sourceEvent({ branch: 'release/2.0', ...sha })));
    const dev = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ...sha })));
    const validation = resolvePlan(planRequest(sourceEvent({ branch: 'main', ...sha })));
    expect([prod.status, dev.status, validation.status]).toEqual([
      expect.objectContaining({ commit: 'c'.repeat(40), context: 'gantry/widgets/prod' }),
      expect.objectContaining({ commit: 'c'.repeat(40), context: 'gantry/widgets/dev' }),
      // A run of no environment (a pull request, a branch no environment takes) keeps the pipeline's own.
      expect.objectContaining({ commit: 'c'.repeat(40), context: 'gantry/widgets' }),
    ]);
  });

  it('carries the approval policy and who may decide into a prod plan', () => {
    const plan = resolvePlan(planRequest(sourceEvent({ branch: 'release/2.0' })));
    expect(plan.approval).toMatchObject({
      required: true,
      minApprovals: 1,
      timeoutSeconds: 3600,
      separationOfDuties: true,
    });
    expect(plan.approval?.approvers.map((a) => a.identity)).toEqual(['alice', 'bob', 'carol']);
  });

  it('tells the build what to clone and at which commit, with the run in its environment', () => {
    const plan = resolvePlan(planRequest(sourceEvent()));
    expect(plan.build).toMatchObject({
      projectName: 'gantry-widgets',
      cloneUrl: 'https://github.com/acme/widgets.git',
      commit: 'b'.repeat(40),
    });
    expect(plan.build.env).toEqual(
      expect.arrayContaining([
        { name: 'NODE_ENV', value: 'test', type: 'PLAINTEXT' },
        { name: 'GANTRY_ENVIRONMENT', value: 'dev', type: 'PLAINTEXT' },
        { name: 'GANTRY_COMMIT', value: 'b'.repeat(40), type: 'PLAINTEXT' },
      ]),
    );
    expect(plan.change).toMatchObject({ authorEmail: 'alice@example.com', pusher: 'alice', message: 'Fix it' });
  });

  it('names a lane by what it is, so a branch or tag named like an environment never shares its lane', () => {
    const branch = resolvePlan(planRequest(sourceEvent({ branch: 'dev', ref: 'refs/heads/dev' })));
    const env = resolvePlan(planRequest(sourceEvent()));
    expect(env.lane).toBe('widgets#dev');
    expect(branch).toMatchObject({ environment: null, lane: 'widgets#branch:dev' });
  });

  it('validates a pull request into main and never deploys it', () => {
    const pr = pullRequestEvent(7);
    const plan = resolvePlan(planRequest(pr, 'pull_request'));
    expect(plan).toMatchObject({
      skip: false,
      environment: null,
      deploy: false,
      approval: null,
      pullRequest: 7,
      lane: 'widgets#pr:7',
      commit: 'c'.repeat(40),
    });
  });

  describe('build trust', () => {
    const pr = (fromFork: boolean) =>
      pullRequestEvent(9, {
        sourceRepository: fromFork ? 'mallory/widgets' : 'acme/widgets',
        fromFork,
        author: 'mallory',
      });

    it.each([
      ['a push to a branch a trigger names', 'push', sourceEvent({ branch: 'develop' })],
      [
        'a tag a trigger names',
        'tag',
        sourceEvent({ kind: 'tag', branch: null, tag: 'v1.2.0', ref: 'refs/tags/v1.2.0' }),
      ],
    ] as const)('builds %s in the trusted project', (_what, trigger, source) => {
      expect(resolvePlan(planRequest(source, trigger)).build).toMatchObject({
        trust: 'trusted',
        projectName: 'gantry-widgets',
      });
    });

    it('builds a push to an environment needing approval in the gated project, apart from every other push', () => {
      const prod = resolvePlan(planRequest(sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0' })));
      expect(prod).toMatchObject({
        environment: 'prod',
        approval: { required: true },
        build: { trust: 'trusted', projectName: 'gantry-widgets-gated' },
      });
      for (const branch of ['develop', 'main']) {
        const plan = resolvePlan(planRequest(sourceEvent({ branch, ref: `refs/heads/${branch}` })));
        expect(plan).toMatchObject({ approval: null, build: { trust: 'trusted', projectName: 'gantry-widgets' } });
      }
    });

    it('builds a pull request from the repository itself in the untrusted project', () => {
      expect(resolvePlan(planRequest(pr(false), 'pull_request'))).toMatchObject({
        skip: false,
        deploy: false,
        build: { trust: 'untrusted', projectName: 'gantry-widgets-untrusted' },
      });
    });

    it("skips a fork's pull request by default, saying how to opt in", () => {
      expect(resolvePlan(planRequest(pr(true), 'pull_request'))).toMatchObject({
        skip: true,
        skipReason: expect.stringMatching(/fork mallory\/widgets: forks are not built.*forks: build/),
      });
    });

    it("builds a fork's pull request, untrusted, when the pipeline opts in", () => {
      const request = planRequest(pr(true), 'pull_request');
      const triggers = request.pipeline.triggers;
      const pipeline = {
        ...request.pipeline,
        triggers: { ...triggers, pullRequests: { targetBranches: ['main'], exclude: [], forks: 'build' as const } },
      };
      expect(resolvePlan({ ...request, pipeline })).toMatchObject({
        skip: false,
        build: { trust: 'untrusted', projectName: 'gantry-widgets-untrusted' },
      });
    });
  });

  it.each([
    ['an excluded branch', sourceEvent({ branch: 'release/tmp-1' }), 'push', 'branch release/tmp-1 is excluded'],
    [
      'a deleted branch',
      sourceEvent({ headSha: null, deleted: true }),
      'push',
      'the change deletes its ref: nothing to build',
    ],
    [
      'a closed pull request',
      sourceEvent({
        kind: 'pull_request',
        pullRequest: {
          number: 8,
          action: 'closed',
          rawAction: 'closed',
          title: 'Y',
          sourceBranch: 'f',
          targetBranch: 'main',
          sourceRepository: 'acme/widgets',
          headSha: 'd'.repeat(40),
          merged: false,
          fromFork: false,
          author: null,
        },
      }),
      'pull_request',
      'pull request closed: nothing to validate',
    ],
    [
      'a tag no glob includes',
      sourceEvent({ kind: 'tag', branch: null, tag: 'nightly', ref: 'refs/tags/nightly' }),
      'tag',
      'tag nightly is excluded',
    ],
    [
      'a push to a repository of the same name at another provider',
      sourceEvent({ provider: 'gitlab' }),
      'push',
      'delivered by gitlab, but widgets builds acme/widgets at github',
    ],
  ] as const)('skips %s, saying why', (_, source, trigger, reason) => {
    expect(resolvePlan(planRequest(source, trigger))).toMatchObject({ skip: true, skipReason: reason, deploy: false });
  });
});
