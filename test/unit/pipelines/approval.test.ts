import type { EligibleApprover, PipelineDefinition, RunPlan, SourceEvent } from '../../../events';
import type { MergedPullRequest } from '../../../shared/history/pulls';
import { HistoryError, type RangeCommit } from '../../../shared/history/types';
import { DecisionError, decide, requestApproval, separationConflict } from '../../../shared/pipelines/approval';
import { recordFailure } from '../../../shared/pipelines/finish';
import { completeParticipants } from '../../../shared/pipelines/participants';
import { resolvePlan } from '../../../shared/pipelines/plan';
import type { ChangeHistory, ChangeRangeRequest, PullRequestsRequest } from '../../../shared/pipelines/ports';
import { personOf } from '../../../shared/pipelines/principals';
import { type PipelineFakes, runsTableFixture } from '../../support/pipeline-fakes';
import { DEFINITION, PEOPLE, planRequest, sourceEvent } from '../../support/plans';

const ARN = (who: string) => `arn:aws:iam::123456789012:user/${who}`;
/** Carol, through the role only she may assume (test/support/plans.ts). */
const CAROL_SESSION = 'arn:aws:sts::123456789012:assumed-role/carol-admin/any-session-name';

async function refused(promise: Promise<unknown>): Promise<DecisionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DecisionError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('approvals', () => {
  let f: PipelineFakes;

  const runs = runsTableFixture('runs');

  /** A prod run, written by alice (who also pushed it), waiting for approval. */
  async function waitingRun(minApprovals = 1) {
    ({ fakes: f } = await runs.fresh());
    const definition = {
      ...DEFINITION,
      environments: DEFINITION.environments.map((e) =>
        e.name === 'prod' ? { ...e, approval: { ...e.approval, minApprovals } } : e,
      ),
    };
    const plan = resolvePlan(
      planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' }), 'push', definition),
    );
    await f.runs.create(plan, 'RUNNING', f.now);
    await requestApproval(f.deps, plan, 'token-1', plan.executionArn);
    return plan;
  }

  it('parks the task token with the run and announces the request', async () => {
    const plan = await waitingRun();
    const run = await f.runs.get(plan.runId);
    expect(run?.approval).toMatchObject({ taskToken: 'token-1', deadline: '2026-11-23T11:00:00.000Z', decisions: {} });
    expect(run?.stages.approval?.status).toBe('waiting');
    expect(f.bus.published).toEqual([
      expect.objectContaining({ source: 'gantry.pipelines', detailType: 'Approval Requested' }),
    ]);
    expect(f.audit.records.map((r) => r.type)).toContain('approval.requested');
    // A retried RequestApproval step parks its new token and records the request no second time.
    await requestApproval(f.deps, plan, 'token-2', plan.executionArn);
    expect((await f.runs.get(plan.runId))?.approval?.taskToken).toBe('token-2');
    expect(f.audit.records.filter((r) => r.type === 'approval.requested')).toHaveLength(1);
  });

  it('announces the approvers as the pipeline is deployed now, not the snapshot the run started with', async () => {
    ({ fakes: f } = await runs.fresh());
    const plan = resolvePlan(planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' })));
    await f.runs.create(plan, 'RUNNING', f.now);
    f.pipelines.deployed = {
      ...DEFINITION,
      environments: DEFINITION.environments.map((e) =>
        e.name === 'prod' ? { ...e, approvers: [PEOPLE.carol, PEOPLE.olga] } : e,
      ),
    };
    await requestApproval(f.deps, plan, 'token-1', plan.executionArn);
    expect(plan.approval?.approvers.map((a) => a.identity)).toEqual(['alice', 'bob', 'carol']);
    expect(f.bus.published[0]?.detail).toMatchObject({ approvers: ['carol', 'olga'] });
    expect(f.audit.records.find((r) => r.type === 'approval.requested')?.details).toMatchObject({
      approvers: ['carol', 'olga'],
    });
  });

  it('parks no token a direct invoke hands it: not for another execution’s run, nor a run already decided', async () => {
    const plan = await waitingRun();
    const forged = `${plan.executionArn}-forged`;
    await expect(requestApproval(f.deps, plan, 'attacker-token', forged)).rejects.toMatchObject({
      name: 'Gantry.ForgedInput',
      message: expect.stringContaining('belongs to execution'),
    });
    await decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'ok' });
    await expect(requestApproval(f.deps, plan, 'attacker-token', plan.executionArn)).rejects.toThrow(
      /approval was already approved/,
    );
    expect((await f.runs.get(plan.runId))?.approval).toMatchObject({ taskToken: 'token-1', outcome: 'approved' });
    expect(f.audit.records.filter((r) => r.type === 'security.forged_input').map((r) => r.details.step)).toEqual([
      'request-approval',
      'request-approval',
    ]);
  });

  it('refuses the change’s own author or pusher (separation of duties), and nobody outside the groups', async () => {
    const plan = await waitingRun();
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('alice'), decision: 'approve', reason: 'mine' })),
    ).resolves.toMatchObject({ code: 'separation_of_duties', status: 403 });
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('mallory'), decision: 'approve', reason: 'hi' })),
    ).resolves.toMatchObject({ code: 'not_an_approver', status: 403 });
    expect(f.executions.successes).toEqual([]);
  });

  it('needs a reason for every decision', async () => {
    const plan = await waitingRun();
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: '   ' })),
    ).resolves.toMatchObject({ code: 'reason_required' });
  });

  it('resumes the run once enough different approvers agreed, and accepts one decision per person', async () => {
    const plan = await waitingRun(2);
    await expect(
      decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'ok' }),
    ).resolves.toEqual({ outcome: 'recorded', approvals: 1, needed: 2 });
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'again' })),
    ).resolves.toMatchObject({ code: 'already_decided' });
    expect(f.executions.successes).toEqual([]);
    await expect(
      decide(f.deps, { runId: plan.runId, principal: CAROL_SESSION, decision: 'approve', reason: 'ok too' }),
    ).resolves.toEqual({ outcome: 'approved' });
    expect(f.executions.successes).toEqual([
      { token: 'token-1', output: { approvedBy: expect.arrayContaining(['bob', 'carol']) } },
    ]);
    expect(f.audit.records.filter((r) => r.type === 'approval.granted').map((r) => r.actor.id)).toEqual([
      'bob',
      'carol',
    ]);
  });

  it('counts no approval of someone removed from the group after deciding', async () => {
    const plan = await waitingRun(2);
    await expect(
      decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'ok' }),
    ).resolves.toEqual({ outcome: 'recorded', approvals: 1, needed: 2 });
    f.pipelines.deployed = {
      ...DEFINITION,
      environments: DEFINITION.environments.map((e) =>
        e.name === 'prod' ? { ...e, approvers: e.approvers.filter((a) => a.identity !== 'bob') } : e,
      ),
    };
    await expect(
      decide(f.deps, { runId: plan.runId, principal: CAROL_SESSION, decision: 'approve', reason: 'ok too' }),
    ).resolves.toEqual({ outcome: 'recorded', approvals: 1, needed: 2 });
    expect(f.executions.successes).toEqual([]);
    expect((await f.runs.get(plan.runId))?.approval?.outcome).toBeUndefined();
  });

  it('asks for as many approvals as the deployed policy requires, when it now requires more', async () => {
    const plan = await waitingRun(1);
    f.pipelines.deployed = {
      ...DEFINITION,
      environments: DEFINITION.environments.map((e) =>
        e.name === 'prod' ? { ...e, approval: { ...e.approval, minApprovals: 2 } } : e,
      ),
    };
    await expect(
      decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'ok' }),
    ).resolves.toEqual({ outcome: 'recorded', approvals: 1, needed: 2 });
    expect(f.executions.successes).toEqual([]);
  });

  it('fails the waiting task when an approver rejects, and takes no decision after that', async () => {
    const plan = await waitingRun(2);
    await expect(
      decide(f.deps, {
        runId: plan.runId,
        principal: ARN('bob'),
        decision: 'reject',
        reason: 'no tests for the migration',
      }),
    ).resolves.toEqual({ outcome: 'rejected' });
    expect(f.executions.failures).toEqual([
      { token: 'token-1', error: 'Gantry.ApprovalRejected', cause: 'rejected by bob: no tests for the migration' },
    ]);
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: CAROL_SESSION, decision: 'approve', reason: 'late' })),
    ).resolves.toMatchObject({ code: 'already_decided' });
  });

  it('records an Approval task failed by hand as such, and a rejection in the words decide() recorded', async () => {
    const plan = await waitingRun();
    // SendTaskFailure with the token from the execution's history, in words that pass for a rejection.
    const forged = { Error: 'Gantry.ApprovalRejected', Cause: 'rejected by bob: policy says so' };
    const summary = await recordFailure(f.deps, plan, 'approval', forged, plan.executionArn);
    expect(summary).toMatchObject({
      error: 'Gantry.ForgedInput',
      reason: expect.stringContaining(
        'not answered by Gantry (its answer said «Gantry.ApprovalRejected: rejected by bob: policy says so»)',
      ),
    });
    expect((await f.runs.get(plan.runId))?.failure?.reason).toBe(summary.reason);
    expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ step: 'record-failure' }) }),
    ]);

    const rejected = await waitingRun();
    await decide(f.deps, { runId: rejected.runId, principal: ARN('bob'), decision: 'reject', reason: 'not today' });
    const told = { Error: 'Gantry.ApprovalRejected', Cause: 'other words' };
    await expect(recordFailure(f.deps, rejected, 'approval', told, rejected.executionArn)).resolves.toEqual({
      stage: 'approval',
      error: 'Gantry.ApprovalRejected',
      reason: 'rejected by bob: not today',
    });
    expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([]);
  });

  it("believes an approval expired only when Step Functions' history says it timed the task out", async () => {
    // A token holder's SendTaskFailure(States.Timeout) long before the deadline: its history says TaskFailed.
    const plan = await waitingRun();
    f.executions.taskEnds.set(`${plan.executionArn} Approval`, 'failed');
    const timeout = { Error: 'States.Timeout', Cause: 'Task timed out' };
    const summary = await recordFailure(f.deps, plan, 'approval', timeout, plan.executionArn);
    expect(summary).toMatchObject({
      error: 'Gantry.ForgedInput',
      reason: expect.stringContaining('was failed as timed out, but Step Functions did not time it out'),
    });
    const forgedRun = await f.runs.get(plan.runId);
    expect(forgedRun?.approval?.outcome).toBeUndefined();
    expect(f.audit.records.map((r) => r.type)).toEqual(['approval.requested', 'security.forged_input']);

    expect(f.executions.taskEndsAsked).toEqual([`${plan.executionArn} Approval`]);

    // Step Functions' own timeout (TaskTimedOut in the history) closes it as expired.
    const real = await waitingRun();
    const expired = await recordFailure(f.deps, real, 'approval', timeout, real.executionArn);
    expect(expired).toMatchObject({ stage: 'approval', error: 'States.Timeout' });
    expect((await f.runs.get(real.runId))?.approval?.outcome).toBe('expired');
    expect(f.audit.records.filter((r) => r.type === 'approval.expired')).toHaveLength(1);
  });

  it('refuses decisions after the deadline and closes the request as expired', async () => {
    const plan = await waitingRun();
    f.now = new Date('2026-11-23T11:00:01.000Z');
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'too late' })),
    ).resolves.toMatchObject({ code: 'expired', status: 410 });
    expect((await f.runs.get(plan.runId))?.approval?.outcome).toBe('expired');
    expect(f.executions.successes).toEqual([]);
  });

  it('resumes the run exactly once when two approvers decide at the same moment', async () => {
    const plan = await waitingRun(1);
    const outcomes = await Promise.allSettled([
      decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'a' }),
      decide(f.deps, { runId: plan.runId, principal: CAROL_SESSION, decision: 'approve', reason: 'b' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(f.executions.successes).toHaveLength(1);
  });

  it('refuses a decision for a run that does not exist or is not waiting', async () => {
    const plan = await waitingRun();
    await expect(
      refused(decide(f.deps, { runId: 'nope', principal: ARN('bob'), decision: 'approve', reason: 'x' })),
    ).resolves.toMatchObject({ code: 'run_not_found', status: 404 });
    const devPlan = resolvePlan(planRequest(sourceEvent()));
    await f.runs.create(devPlan, 'RUNNING', f.now);
    await expect(
      refused(decide(f.deps, { runId: devPlan.runId, principal: ARN('bob'), decision: 'approve', reason: 'x' })),
    ).resolves.toMatchObject({ code: 'no_approval_pending' });
    expect(plan.approval).not.toBeNull();
  });

  it('takes no decision on a run cancelled while its approval was open: nothing approved goes on record', async () => {
    const plan = await waitingRun();
    // As an operator's cancel leaves it: CANCELLED, its execution stopped, the approval never closed.
    await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
    for (const decision of ['approve', 'reject'] as const) {
      await expect(
        refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision, reason: 'stale button' })),
      ).resolves.toMatchObject({
        code: 'no_approval_pending',
        message: expect.stringContaining('is CANCELLED (cancelled by olga): its approval no longer waits'),
      });
    }
    const run = await f.runs.get(plan.runId);
    expect(run?.approval?.decisions).toEqual({});
    expect(run?.approval?.outcome).toBeUndefined();
    expect(f.audit.records.map((r) => r.type)).not.toContain('approval.granted');
    expect(f.executions.successes).toEqual([]);
    // A cancel that lands between decide()'s read and its write: the write itself refuses.
    const decision = { identity: 'bob', principal: ARN('bob'), decision: 'approve' as const, reason: 'r', at: '' };
    await expect(f.runs.addDecision(plan.runId, decision, f.now)).resolves.toBeUndefined();
  });

  it('approves nothing when the run is cancelled between the decision’s write and the approval’s close', async () => {
    const plan = await waitingRun();
    const add = f.runs.addDecision.bind(f.runs);
    f.runs.addDecision = async (...args) => {
      const written = await add(...args);
      await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      return written;
    };
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'ok' })),
    ).resolves.toMatchObject({ code: 'no_approval_pending', message: expect.stringContaining('is CANCELLED') });
    expect((await f.runs.get(plan.runId))?.approval?.outcome).toBeUndefined();
    expect(f.executions.successes).toEqual([]);
  });

  describe('separation of duties over the whole change', () => {
    const person = (who: string) => ({ name: who, email: `${who}@example.com` });
    /** A commit as GitHub's push delivery lists it: author and committer, both named. */
    const commit = (id: string, who: string, committer = who) => ({
      id: id.repeat(40),
      message: `change by ${who}`,
      author: person(who),
      committer: person(committer),
      timestamp: null,
    });
    /** A commit as GitLab's push delivery lists it: no committer. */
    const authored = (id: string, who: string) => ({
      id: id.repeat(40),
      message: 'x',
      author: person(who),
      timestamp: null,
    });
    /** A prod run of the given change, waiting for approval under a policy of one approval. */
    async function waiting(change: Partial<SourceEvent>, rollback?: RunPlan['rollback']) {
      ({ fakes: f } = await runs.fresh());
      const source = sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0', ...change });
      // As ResolvePlan plans it, with no provider API to complete the list.
      const planned = await completeParticipants(f.deps, resolvePlan(planRequest(source)), source);
      const plan = rollback ? { ...planned, trigger: 'rollback' as const, rollback } : planned;
      await f.runs.create(plan, 'RUNNING', f.now);
      await requestApproval(f.deps, plan, 'token-sod', plan.executionArn);
      return plan;
    }
    const tryApprove = (plan: RunPlan, principal: string) =>
      decide(f.deps, { runId: plan.runId, principal, decision: 'approve', reason: 'looks good' });

    it.each([
      [
        'the author of an earlier commit in the pushed range',
        { commits: [commit('1', 'carol'), commit('2', 'dave')], pusher: 'dave', sender: 'dave' },
        CAROL_SESSION,
        /carol wrote or committed a commit of this change/,
      ],
      [
        'the author of a change someone else merged (a merge commit by the merger)',
        { commits: [commit('1', 'alice'), commit('2', 'bob')], pusher: 'bob', sender: 'bob' },
        ARN('alice'),
        /alice wrote or committed a commit of this change/,
      ],
      [
        'whoever merged it (the pusher)',
        { commits: [commit('1', 'alice')], pusher: 'bob', sender: 'bob' },
        ARN('bob'),
        /bob pushed or sent this change/,
      ],
      [
        'the pull request’s author, after a squash merge that kept only her as author',
        { commits: [commit('1', 'carol')], pusher: 'web-flow', sender: 'bob' },
        CAROL_SESSION,
        /carol wrote or committed a commit of this change/,
      ],
      [
        'an author whose commits were rebased onto the branch by someone else',
        { commits: [commit('1', 'dave'), commit('2', 'carol'), commit('3', 'dave')], pusher: 'dave', sender: 'dave' },
        CAROL_SESSION,
        /carol wrote or committed a commit of this change/,
      ],
      [
        'anyone, when the delivery does not list every commit of the change',
        { commits: [commit('9', 'dave')], totalCommits: 3, pusher: 'dave', sender: 'dave' },
        ARN('bob'),
        /the delivery lists 1 of the change’s 3 commits, and no provider API is wired to list it, so Gantry cannot tell whether bob wrote or committed part of it: give the gh connection an apiToken/,
      ],
      [
        'anyone, when the delivery lists no commit at all (a branch created on existing commits)',
        { commits: [], pusher: 'dave', sender: 'dave', before: '0'.repeat(40), created: true },
        ARN('bob'),
        /the delivery lists none of the change’s commits, and the change creates its ref, so there is no earlier commit to list it from/,
      ],
      [
        'the committer of someone else’s commit (she rebased or applied it)',
        { commits: [commit('1', 'dave', 'carol'), commit('2', 'dave')], pusher: 'dave', sender: 'dave' },
        CAROL_SESSION,
        /carol wrote or committed a commit of this change/,
      ],
      [
        'anyone, when the delivery does not name its commits’ committers (GitLab) and nothing lists them',
        { commits: [authored('1', 'dave')], pusher: 'dave', sender: 'dave' },
        ARN('bob'),
        /the delivery does not name the committer of 1 of its 1 commits/,
      ],
    ])('refuses %s', async (_case, change, principal, reason) => {
      const plan = await waiting(change);
      await expect(refused(tryApprove(plan, principal))).resolves.toMatchObject({
        code: 'separation_of_duties',
        message: expect.stringMatching(reason),
      });
      expect(f.executions.successes).toEqual([]);
    });

    describe('completed through the provider’s API when the delivery leaves a gap', () => {
      /** The provider's answer for the range; `fails` makes it refuse as a provider would. */
      class ListedHistory implements ChangeHistory {
        readonly asked: ChangeRangeRequest[] = [];
        readonly askedPulls: PullRequestsRequest[] = [];
        constructor(
          private readonly commits: readonly RangeCommit[],
          private readonly fails?: string,
          /** The merged pull requests each commit is part of; a string: the look-up fails with it. */
          private readonly pulls: Readonly<Record<string, readonly MergedPullRequest[]>> | string = {},
        ) {}
        async commitsOf(request: ChangeRangeRequest) {
          this.asked.push(request);
          if (this.fails !== undefined) throw new HistoryError(this.fails);
          return this.commits;
        }
        async pullRequestsOf(request: PullRequestsRequest) {
          this.askedPulls.push(request);
          const { pulls } = this;
          if (typeof pulls === 'string') throw new HistoryError(pulls);
          const found = new Map(request.commits.flatMap((c) => pulls[c] ?? []).map((p) => [p.number, p]));
          return [...found.values()];
        }
      }
      const head = 'b'.repeat(40);
      const listed = (id: string, who: string, committer = who): RangeCommit => ({
        id,
        author: { ...person(who), username: who },
        committer: { ...person(committer), username: committer },
      });

      async function waitingListed(change: Partial<SourceEvent>, history: ChangeHistory) {
        ({ fakes: f } = await runs.fresh());
        const source = sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0', ...change });
        const plan = await completeParticipants({ ...f.deps, history }, resolvePlan(planRequest(source)), source);
        await f.runs.create(plan, 'RUNNING', f.now);
        await requestApproval(f.deps, plan, 'token-listed', plan.executionArn);
        return plan;
      }

      describe('the merged pull request behind a push', () => {
        const at = (who: string) => ({ id: `id-${who}`, username: who, email: `${who}@example.com` });
        /** Pull request #7, opened by carol (her commits carry dave's name), merged by `merger`. */
        const pr = (merger: string | null, opener = 'carol'): MergedPullRequest => ({
          number: '7',
          title: 'Faster widgets',
          url: 'https://github.com/acme/widgets/pull/7',
          openedBy: at(opener),
          mergedBy: merger === null ? null : at(merger),
        });
        const merge = 'd'.repeat(40);
        const rebased = ['e'.repeat(40), head];

        it.each([
          [
            'its opener, whose commits carry someone else’s name (merge commit)',
            { commits: [commit('1', 'dave'), commit('b', 'dave', 'alice')] },
            { [head]: [pr('alice')] },
            CAROL_SESSION,
            /^carol opened pull request #7 \(Faster widgets\), which brought this change in; another approver must decide$/,
          ],
          [
            'whoever merged it',
            { commits: [commit('b', 'dave')] },
            { [head]: [pr('carol', 'dave')] },
            CAROL_SESSION,
            /^carol merged pull request #7 \(Faster widgets\)/,
          ],
          [
            'its opener, after a squash merge (one new commit, in nobody’s delivery but the merger’s)',
            { commits: [commit('b', 'dave', 'bob')], pusher: 'bob', sender: 'bob' },
            { [head]: [pr('bob')] },
            CAROL_SESSION,
            /^carol opened pull request #7/,
          ],
          [
            'its opener, after a rebase merge (only an earlier rebased commit is found in it)',
            { commits: [commit('e', 'dave', 'alice'), commit('b', 'dave', 'alice')], pusher: 'alice', sender: 'alice' },
            { [rebased[0] as string]: [pr('alice')] },
            CAROL_SESSION,
            /^carol opened pull request #7/,
          ],
          [
            'anyone, failing closed, when the pull requests cannot be looked up',
            { commits: [commit('b', 'dave')] },
            'github did not say which pull requests contain bbbbbbbbbbbb: HTTP 401: Bad credentials',
            ARN('bob'),
            /^the merged pull requests behind the change could not be looked up \(github did not say which pull requests contain bbbbbbbbbbbb: HTTP 401: Bad credentials\), so Gantry cannot tell whether bob wrote or committed part of it: give the gh connection an apiToken/,
          ],
          [
            'anyone, failing closed, when the provider does not name who merged it',
            { commits: [commit('b', 'dave')] },
            { [head]: [pr(null)] },
            ARN('bob'),
            /^github does not say who merged pull request #7 behind the change, so Gantry cannot tell whether bob/,
          ],
        ] as [string, Partial<SourceEvent>, Record<string, MergedPullRequest[]> | string, string, RegExp][])(
          'refuses %s',
          async (_case, change, pulls, principal, reason) => {
            const history = new ListedHistory([], 'the delivery is whole: not asked', pulls);
            const plan = await waitingListed({ pusher: 'dave', sender: 'dave', ...change }, history);
            expect(history.asked).toEqual([]);
            expect(history.askedPulls).toEqual([
              expect.objectContaining({ provider: 'github', connection: 'gh', repository: 'acme/widgets' }),
            ]);
            expect(history.askedPulls[0]?.commits).toContain(head);
            await expect(refused(tryApprove(plan, principal))).resolves.toMatchObject({
              code: 'separation_of_duties',
              message: expect.stringMatching(reason),
            });
            expect(f.executions.successes).toEqual([]);
          },
        );

        it('looks up every commit of the push, and lets an approver who took no part approve', async () => {
          const history = new ListedHistory([], 'not asked', { [merge]: [pr('alice')] });
          const plan = await waitingListed(
            {
              commits: [commit('1', 'dave'), commit('d', 'dave'), commit('b', 'alice')],
              pusher: 'alice',
              sender: 'alice',
            },
            history,
          );
          expect([...(history.askedPulls[0]?.commits ?? [])].sort()).toEqual(['1'.repeat(40), head, merge].sort());
          expect(plan.change.pullRequests).toEqual([pr('alice')]);
          expect(plan.change.incomplete).toBeNull();
          await expect(tryApprove(plan, ARN('bob'))).resolves.toEqual({ outcome: 'approved' });
        });

        it('lets a would-be opener approve when no merged pull request contains the change’s commits', async () => {
          const history = new ListedHistory([], 'not asked', {});
          const plan = await waitingListed({ commits: [commit('b', 'dave')], pusher: 'dave', sender: 'dave' }, history);
          expect(plan.change.pullRequests).toEqual([]);
          await expect(tryApprove(plan, CAROL_SESSION)).resolves.toEqual({ outcome: 'approved' });
        });
      });

      it('refuses the author of a commit only the provider’s list names, and lets an outsider approve', async () => {
        const history = new ListedHistory([
          listed('1'.repeat(40), 'carol'),
          listed('2'.repeat(40), 'dave'),
          listed(head, 'dave'),
        ]);
        const plan = await waitingListed(
          { commits: [commit('b', 'dave')], totalCommits: 3, pusher: 'dave', sender: 'dave' },
          history,
        );
        expect(history.asked).toEqual([
          expect.objectContaining({
            provider: 'github',
            connection: 'gh',
            repository: 'acme/widgets',
            before: 'a'.repeat(40),
            after: head,
          }),
        ]);
        expect(plan.change).toMatchObject({ incomplete: null, listedBy: 'provider' });
        await expect(refused(tryApprove(plan, CAROL_SESSION))).resolves.toMatchObject({
          code: 'separation_of_duties',
          message: expect.stringMatching(/carol wrote or committed a commit of this change/),
        });
        await expect(tryApprove(plan, ARN('bob'))).resolves.toEqual({ outcome: 'approved' });
      });

      it('refuses a committer the delivery did not name (GitLab), found through the API', async () => {
        const history = new ListedHistory([listed(head, 'dave', 'carol')]);
        const plan = await waitingListed({ commits: [authored('b', 'dave')], pusher: 'dave', sender: 'dave' }, history);
        await expect(refused(tryApprove(plan, CAROL_SESSION))).resolves.toMatchObject({
          message: expect.stringMatching(/carol wrote or committed/),
        });
      });

      it('refuses an account the provider matched to a commit, whatever e-mail git recorded', async () => {
        const history = new ListedHistory([
          { id: head, author: { name: 'Bob (laptop)', email: 'bob@laptop.local', username: 'bob' } },
        ]);
        const plan = await waitingListed({ commits: [], pusher: 'dave', sender: 'dave' }, history);
        await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
          message: 'bob pushed or sent this change; another approver must decide',
        });
      });

      it('fails closed with the provider’s reason when the range cannot be listed', async () => {
        const history = new ListedHistory([], 'github did not list the change’s commits: HTTP 401: Bad credentials');
        const plan = await waitingListed(
          { commits: [commit('b', 'dave')], totalCommits: 3, pusher: 'dave', sender: 'dave' },
          history,
        );
        expect(plan.change.listedBy).toBe('delivery');
        await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
          code: 'separation_of_duties',
          message: expect.stringMatching(
            /lists 1 of the change’s 3 commits, and github did not list the change’s commits: HTTP 401: Bad credentials, so Gantry cannot tell/,
          ),
        });
      });

      it('refuses a list that does not hold the change’s head (an answer for another range)', async () => {
        const history = new ListedHistory([listed('1'.repeat(40), 'dave')]);
        const plan = await waitingListed({ commits: [], pusher: 'dave', sender: 'dave' }, history);
        expect(plan.change.incomplete).toMatch(/github listed 1 commits, not the change’s head b{40}/);
        // An empty answer is no proof that nothing was added either.
        const empty = await waitingListed({ commits: [], pusher: 'dave', sender: 'dave' }, new ListedHistory([]));
        expect(empty.change.incomplete).toMatch(/github listed 0 commits, not the change’s head/);
      });

      it('refuses, failing closed, a push that creates the environment’s branch from other branches’ commits', async () => {
        // Bob's commits sit on a branch nothing deploys; Carol cuts release/2.0 from it with one commit of hers.
        const history = new ListedHistory([listed('1'.repeat(40), 'bob'), listed(head, 'carol')]);
        const plan = await waitingListed(
          { commits: [commit('b', 'carol')], before: '0'.repeat(40), created: true, pusher: 'carol', sender: 'carol' },
          history,
        );
        expect(history.asked).toEqual([]);
        await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
          code: 'separation_of_duties',
          message: expect.stringMatching(
            /the push creates its branch, so its delivery lists only the commits new to the repository, and the change creates its ref/,
          ),
        });
      });

      it('fails closed when the lane holds more runs than are searched and none of them released (a flooded lane)', async () => {
        ({ fakes: f } = await runs.fresh());
        const onRelease = (over: Partial<SourceEvent>) =>
          sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0', ...over });
        for (let i = 0; i < 200; i++)
          await f.runs.create(resolvePlan(planRequest(onRelease({ pusher: 'bob' }))), 'FAILED', f.now);
        const source = onRelease({ commits: [commit('b', 'dave')], pusher: 'dave', sender: 'dave' });
        const history = new ListedHistory([], 'must not be asked');
        const plan = await completeParticipants({ ...f.deps, history }, resolvePlan(planRequest(source)), source);
        expect(plan.change.incomplete).toBe("no release of prod was found among the lane's newest 200 runs");
        expect(history.asked).toEqual([]);
      });

      it('joins the pushes since the last release when they chain back to it, without asking the provider', async () => {
        const released = 'c'.repeat(40);
        const bobs = 'a'.repeat(40);
        ({ fakes: f } = await runs.fresh());
        const onRelease = (over: Partial<SourceEvent>) =>
          sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0', ...over });
        const release = resolvePlan(planRequest(onRelease({ after: released, headSha: released })));
        await f.runs.create(release, 'SUCCEEDED', f.now);
        await f.runs.openDeployment(
          release.runId,
          {
            taskToken: 't',
            target: 'w',
            strategy: 'AllAtOnce',
            fromVersion: '3',
            toVersion: '4',
            status: 'in_progress',
            startedAt: f.now.toISOString(),
          },
          f.now,
        );
        await f.runs.closeDeployment(release.runId, { status: 'succeeded', endedAt: f.now.toISOString() }, f.now);
        // Bob's push (c… → a…) ran but was never released; Dave's (a… → b…) comes now.
        const bobsPush = onRelease({
          before: released,
          after: bobs,
          headSha: bobs,
          commits: [commit('a', 'bob')],
          pusher: 'bob',
          sender: 'bob',
        });
        await f.runs.create(resolvePlan(planRequest(bobsPush)), 'FAILED', f.now);
        const history = new ListedHistory([], 'must not be asked');
        const daves = onRelease({ before: bobs, commits: [commit('b', 'dave')], pusher: 'dave', sender: 'dave' });
        const plan = await completeParticipants({ ...f.deps, history }, resolvePlan(planRequest(daves)), daves);
        expect(history.asked).toEqual([]);
        expect(plan.change).toMatchObject({ incomplete: null, listedBy: 'pushes' });
        expect(plan.change.participants.emails).toEqual(
          expect.arrayContaining(['bob@example.com', 'dave@example.com']),
        );
        // A push whose before no run built breaks the chain: the provider is asked.
        const gap = onRelease({
          before: 'e'.repeat(40),
          commits: [commit('b', 'dave')],
          pusher: 'dave',
          sender: 'dave',
        });
        const asked = new ListedHistory([listed(head, 'dave')]);
        await completeParticipants({ ...f.deps, history: asked }, resolvePlan(planRequest(gap)), gap);
        expect(asked.asked).toEqual([expect.objectContaining({ before: released })]);
      });

      it('lists everything since the environment’s last release, so splitting a change over two pushes hides no one', async () => {
        const released = 'c'.repeat(40);
        ({ fakes: f } = await runs.fresh());
        // prod last released commit c…; Bob pushed a… since (its run was not approved); Dave now pushes b… on top.
        const earlier = resolvePlan(
          planRequest(
            sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0', after: released, headSha: released }),
          ),
        );
        await f.runs.create(earlier, 'RUNNING', f.now);
        await f.runs.openDeployment(
          earlier.runId,
          {
            taskToken: 't',
            target: 'widgets-prod',
            strategy: 'AllAtOnce',
            fromVersion: '3',
            toVersion: '4',
            status: 'in_progress',
            startedAt: f.now.toISOString(),
          },
          f.now,
        );
        await f.runs.closeDeployment(earlier.runId, { status: 'succeeded', endedAt: f.now.toISOString() }, f.now);
        await f.runs.setStatus(earlier.runId, 'SUCCEEDED', f.now);
        const history = new ListedHistory([listed('a'.repeat(40), 'bob'), listed(head, 'dave')]);
        const source = sourceEvent({
          branch: 'release/2.0',
          ref: 'refs/heads/release/2.0',
          commits: [commit('b', 'dave')],
          pusher: 'dave',
          sender: 'dave',
        });
        const plan = await completeParticipants({ ...f.deps, history }, resolvePlan(planRequest(source)), source);
        expect(history.asked).toEqual([expect.objectContaining({ before: released, after: head })]);
        expect(plan.change).toMatchObject({ incomplete: null, listedBy: 'provider' });
        await f.runs.create(plan, 'RUNNING', f.now);
        await requestApproval(f.deps, plan, 'token-since', plan.executionArn);
        await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
          message: expect.stringMatching(/bob wrote or committed a commit of this change/),
        });
      });

      it('asks nothing when the delivery is complete or no approval separates duties', async () => {
        const history = new ListedHistory([], 'must not be asked');
        await waitingListed({ commits: [commit('b', 'dave')], pusher: 'dave', sender: 'dave' }, history);
        const dev = sourceEvent({ commits: [], pusher: 'dave' });
        const plan = await completeParticipants({ ...f.deps, history }, resolvePlan(planRequest(dev)), dev);
        expect(plan.approval).toBeNull();
        expect(history.asked).toEqual([]);
      });

      it.each(['gitea', 'forgejo'] as const)(
        'takes an older %s push that does not say how many commits it had as incomplete: it lists only the last few',
        (provider) => {
          const source = sourceEvent({
            provider,
            branch: 'release/2.0',
            ref: 'refs/heads/release/2.0',
            totalCommits: null,
          });
          expect(resolvePlan(planRequest(source)).change.incomplete).toBe(
            `the delivery lists 1 commits and does not say how many the change has (${provider} lists only the last few)`,
          );
          // A newer one says, and a list of all of them is complete.
          expect(resolvePlan(planRequest({ ...source, totalCommits: 1 })).change.incomplete).toBeNull();
        },
      );

      it('takes Bitbucket Cloud’s authors as complete: it keeps no committers to ask for', async () => {
        const source = sourceEvent({
          provider: 'bitbucket-cloud',
          branch: 'release/2.0',
          ref: 'refs/heads/release/2.0',
          commits: [authored('b', 'dave')],
        });
        expect(resolvePlan(planRequest(source)).change.incomplete).toBeNull();
      });
    });

    it('lets someone who took no part approve the same change', async () => {
      const plan = await waiting({
        commits: [commit('1', 'carol'), commit('2', 'dave')],
        pusher: 'dave',
        sender: 'dave',
      });
      await expect(tryApprove(plan, ARN('bob'))).resolves.toEqual({ outcome: 'approved' });
    });

    it('refuses, failing closed, an approver Gantry cannot recognise at the provider, saying what to configure', async () => {
      const plan = await waiting({ commits: [commit('1', 'dave')], pusher: 'dave', sender: 'dave' });
      f.pipelines.deployed = withProdApprovers([{ ...PEOPLE.bob, git: {} }, PEOPLE.carol]);
      await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
        code: 'separation_of_duties',
        message: expect.stringMatching(/set approvers.identities.bob.git.github .* and .emails/),
      });
    });

    it('refuses the requester of a rollback as its approver', async () => {
      const plan = await waiting(
        { commits: [commit('1', 'dave')], pusher: 'dave', sender: 'dave' },
        { ofRunId: 'r-1', toRunId: 'r-0', version: '4', reason: 'errors up', requestedBy: 'bob' },
      );
      await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
        code: 'separation_of_duties',
        message: 'bob asked for this rollback; another approver must decide',
      });
      await expect(tryApprove(plan, CAROL_SESSION)).resolves.toEqual({ outcome: 'approved' });
    });

    it.each([
      [
        'rollback',
        { rollback: { ofRunId: 'r-1', toRunId: 'r-0', version: '4', reason: 'errors up', requestedBy: 'bob' } },
      ],
      // A retry that accepts a changed Lambda configuration too: who accepted it may not also approve it.
      [
        'retry',
        { retry: { ofRunId: 'r-1', reason: 'flaky', requestedBy: 'bob', acceptConfiguration: 'c'.repeat(64) } },
      ],
    ] as const)(
      'refuses the requester of a %s as its approver even where separation of duties is off',
      async (kind, asked) => {
        ({ fakes: f } = await runs.fresh());
        const lax = {
          ...DEFINITION,
          environments: DEFINITION.environments.map((e) =>
            e.name === 'prod' ? { ...e, approval: { ...e.approval, separationOfDuties: false } } : e,
          ),
        };
        f.pipelines.deployed = lax;
        const planned = resolvePlan(
          planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' }), 'push', lax),
        );
        expect(planned.approval?.separationOfDuties).toBe(false);
        const plan: RunPlan = {
          ...planned,
          ...(kind === 'rollback' ? { trigger: 'rollback' as const } : {}),
          ...asked,
        };
        await f.runs.create(plan, 'RUNNING', f.now);
        await requestApproval(f.deps, plan, 'token-lax', plan.executionArn);
        // One operator may not redeploy an old version, or rerun a change, and approve it alone.
        await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
          code: 'separation_of_duties',
          message: `bob asked for this ${kind}; another approver must decide`,
        });
        await expect(tryApprove(plan, CAROL_SESSION)).resolves.toEqual({ outcome: 'approved' });
      },
    );

    it('follows the groups as deployed now: a member removed after the run started may no longer approve', async () => {
      const plan = await waiting({ commits: [commit('1', 'dave')], pusher: 'dave', sender: 'dave' });
      // RequestApproval read the deployed pipeline too (to name its approvers): only decide()'s reading is looked at.
      f.pipelines.asked.length = 0;
      f.pipelines.deployed = withProdApprovers([PEOPLE.alice, PEOPLE.carol]);
      await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
        code: 'not_an_approver',
        message: expect.stringContaining('as pipeline widgets is deployed now (approvers: alice, carol)'),
      });
      expect(f.pipelines.asked).toEqual(['arn:aws:states:us-east-1:123456789012:stateMachine:gantry-pipeline-widgets']);
    });

    it('refuses everyone, failing closed, when the deployed configuration cannot be read', async () => {
      const plan = await waiting({ commits: [commit('1', 'dave')], pusher: 'dave', sender: 'dave' });
      f.pipelines.deployed = undefined;
      await expect(refused(tryApprove(plan, ARN('bob')))).resolves.toMatchObject({
        code: 'configuration_unavailable',
        status: 503,
      });
    });
  });

  describe('the identities people really have in AWS', () => {
    async function bobsRun() {
      ({ fakes: f } = await runs.fresh());
      const plan = resolvePlan(
        planRequest(
          sourceEvent({
            branch: 'release/3.0',
            ref: 'refs/heads/release/3.0',
            pusher: 'dave',
            sender: 'dave',
            commits: [],
            totalCommits: null,
          }),
        ),
      );
      await f.runs.create(plan, 'RUNNING', f.now);
      await requestApproval(f.deps, plan, 'token-id', plan.executionArn);
      return plan;
    }
    const SSO = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Releasers_0123456789abcdef';

    it.each([
      [
        'an IAM Identity Center session of a configured permission-set role, named by Identity Center',
        `${SSO}/carol@example.com`,
        'carol',
      ],
      [
        'any session of a role only that person can assume',
        'arn:aws:sts::123456789012:assumed-role/carol-admin/x',
        'carol',
      ],
      ['an IAM user', ARN('bob'), 'bob'],
    ])('matches %s', (_case, principal, identity) => {
      expect(
        personOf(DEFINITION.environments[1]?.approvers ?? [], principal, DEFINITION.identityCenterRoles)?.identity,
      ).toBe(identity);
    });

    it.each([
      [
        'a session name chosen to look like someone, on a role that is not Identity Center’s',
        'arn:aws:sts::123456789012:assumed-role/PowerUser/carol@example.com',
      ],
      [
        'a session name chosen to look like someone, on a role named like Identity Center’s but not configured',
        'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admins_ffff/carol@example.com',
      ],
      [
        'the same permission-set role name in another account',
        'arn:aws:sts::999999999999:assumed-role/AWSReservedSSO_Releasers_0123456789abcdef/carol@example.com',
      ],
      ['a user of the same name in another account', 'arn:aws:iam::999999999999:user/bob'],
      ['a federated user', 'arn:aws:sts::123456789012:federated-user/bob'],
    ])('does not match %s', async (_case, principal) => {
      expect(
        personOf(DEFINITION.environments[1]?.approvers ?? [], principal, DEFINITION.identityCenterRoles),
      ).toBeUndefined();
      const plan = await bobsRun();
      await expect(
        refused(decide(f.deps, { runId: plan.runId, principal, decision: 'approve', reason: 'x' })),
      ).resolves.toMatchObject({
        code: 'not_an_approver',
      });
    });
  });
});

/** The widgets pipeline as deployed with other prod approvers. */
function withProdApprovers(approvers: EligibleApprover[]): PipelineDefinition {
  return {
    ...DEFINITION,
    environments: DEFINITION.environments.map((e) => (e.name === 'prod' ? { ...e, approvers } : e)),
  };
}

describe('separation of duties by account id: a renamed account is still its owner', () => {
  // Alice renamed her GitHub account after she pushed, or opened the pull request: the change
  // names "alice-2024", the config "alice". Only the account id ties the two.
  const dave = { name: 'dave', email: 'dave@example.com' };
  const byDave = [{ id: 'c'.repeat(40), message: 'faster', author: dave, committer: dave, timestamp: null }];
  const renamed = { sender: 'alice-2024', pusher: 'alice-2024', senderId: '1001', commits: byDave };
  const withId: EligibleApprover = { ...PEOPLE.alice, gitIds: { github: '1001' } };
  const pushedBy = () =>
    resolvePlan(planRequest(sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0', ...renamed })));

  it('refuses the sender of the push by its account id', () => {
    const plan = pushedBy();
    expect(plan.change.participants.ids).toEqual(['1001']);
    expect(separationConflict(withId, plan)).toMatch(/^alice pushed or sent this change/);
    // Without the id in the config, the username alone does not tell.
    expect(separationConflict(PEOPLE.alice, plan)).toBeNull();
  });

  it('refuses the opener of the merged pull request behind the change by its account id', () => {
    const base = resolvePlan(
      planRequest(
        sourceEvent({
          branch: 'release/2.0',
          ref: 'refs/heads/release/2.0',
          commits: byDave,
          sender: 'dave',
          pusher: 'dave',
        }),
      ),
    );
    const plan: RunPlan = {
      ...base,
      change: {
        ...base.change,
        pullRequests: [
          {
            number: '7',
            title: 'Faster widgets',
            url: null,
            openedBy: { id: '1001', username: 'alice-2024', email: null },
            mergedBy: { id: '2002', username: 'dave', email: null },
          },
        ],
      },
    };
    expect(separationConflict(withId, plan)).toMatch(/^alice opened pull request #7/);
    expect(separationConflict({ ...PEOPLE.alice, gitIds: { github: '3003' } }, plan)).toBeNull();
  });
});
