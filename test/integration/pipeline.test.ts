import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../../cli/local/sample-repo';
import { gantry } from '../support/cli';
import { ledger } from '../support/faults';
import { actingAs, commitOnBranch, eventually, finishedRun, startTestPlane, type TestPlane } from '../support/local';

describe('pipelines, end to end through the local runtime', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
  }, 60_000);
  afterAll(() => t?.close());

  const statusesOf = (commit: string) => t.plane.providers.statuses().filter((s) => s.commit === commit);

  it('builds, tests and gates a push to develop, and reports success on the commit', async () => {
    const { push, status } = await t.push({ branch: 'develop' });
    expect(status).toBe(202);
    const run = await finishedRun(t, push.after);

    expect(run).toMatchObject({ status: 'SUCCEEDED', environment: 'dev', trigger: 'push', branch: 'develop' });
    expect(run.gates).toMatchObject({ passed: true, reasons: [], metrics: { tests: { failed: 0 } } });
    expect((run.gates?.metrics.tests as { total: number } | undefined)?.total).toBeGreaterThan(5);
    expect(run.build?.status).toBe('SUCCEEDED');
    expect(Object.keys(run.stages)).toEqual(expect.arrayContaining(['plan', 'build', 'gates', 'report']));
    const statuses = await eventually('the final commit status', async () =>
      statusesOf(push.after).length >= 2 ? statusesOf(push.after) : undefined,
    );
    expect(statuses.map((s) => [s.provider, s.state, s.context])).toEqual([
      ['github', 'pending', 'gantry/sample-service/dev'],
      ['github', 'success', 'gantry/sample-service/dev'],
    ]);
  });

  it('fails the gates when tests fail, and lists every reason in the failure status', async () => {
    const repo = t.repo();
    commitOnBranch(
      repo,
      'demo/red-test',
      'Dana',
      {
        'test/broken.test.js':
          "import assert from 'node:assert/strict';\nimport { it } from 'node:test';\nit('adds up', () => assert.equal(1 + 1, 3));\n",
      },
      'A test that fails',
    );
    const { push } = await t.push({ branch: 'demo/red-test' });
    const run = await finishedRun(t, push.after);

    expect(run).toMatchObject({ status: 'FAILED', failure: { stage: 'gates', error: 'Gantry.GatesFailed' } });
    expect(run.gates?.reasons).toEqual([expect.stringMatching(/^1 of \d+ tests? failed: .*adds up/)]);
    const final = await eventually('the failure status', async () =>
      statusesOf(push.after).find((s) => s.state === 'failure'),
    );
    expect(final.description).toContain('tests failed');

    // An operator runs the same commit again: a new run, linked to this one, built and gated again.
    const retried = await gantry(
      'runs',
      'retry',
      run.runId.slice(0, 12),
      '--reason',
      'flaky?',
      '--as',
      'ops',
      '--json',
      '--data-dir',
      t.dataDir,
    );
    expect(retried.code).toBe(0);
    const out = JSON.parse(retried.stdout) as { runId: string; retryOf: string; commit: string };
    expect(out).toMatchObject({ retryOf: run.runId, commit: push.after });
    const again = await eventually('the retry to end', async () => {
      const r = await t.runs.get(out.runId);
      return r && r.status !== 'RUNNING' && r.status !== 'QUEUED' ? r : undefined;
    });
    expect(again).toMatchObject({
      status: 'FAILED',
      commit: push.after,
      failure: { stage: 'gates' },
      plan: { trigger: 'push', retry: { ofRunId: run.runId, requestedBy: 'ops', reason: 'flaky?' } },
    });
    expect(again.build?.id).not.toBe(run.build?.id);
    // Nobody outside the operator groups may ask, and a run still going may not be retried.
    const refused = await gantry(
      'runs',
      'retry',
      run.runId.slice(0, 12),
      '--reason',
      'x',
      '--as',
      'alice',
      '--data-dir',
      t.dataDir,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('not_an_operator');
  }, 180_000);

  it('waits for a prod approval: refuses the author, accepts another approver, and the run goes on', async () => {
    const repo = t.repo();
    commitOnBranch(repo, 'release/1.0', 'Alice', { 'CHANGELOG.md': '# 1.0\n\nFirst release.\n' }, 'Release 1.0');
    const { push } = await t.push({ branch: 'release/1.0' });
    const waiting = await eventually('the run to wait for approval', async () => {
      const run = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === push.after);
      return run?.stages.approval?.status === 'waiting' ? run : undefined;
    });
    expect(waiting).toMatchObject({
      environment: 'prod',
      status: 'RUNNING',
      stages: { approval: { status: 'waiting' } },
    });

    const decide = async (who: string, decision: 'approve' | 'reject', reason: string) => {
      const res = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
        method: 'POST',
        headers: await actingAs(t.plane, who, `runs/${waiting.runId}/decision`, JSON.stringify({ decision, reason })),
        body: JSON.stringify({ decision, reason }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await decide('alice', 'approve', 'my own change')).toMatchObject({
      status: 403,
      body: { error: { code: 'separation_of_duties' } },
    });
    expect(await decide('mallory', 'approve', 'let me in')).toMatchObject({
      status: 403,
      body: { error: { code: 'not_an_approver' } },
    });
    // Another local user (or a DNS-rebinding page) naming bob without the session token decides nothing.
    const forged = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gantry-principal': 'bob' },
      body: JSON.stringify({ decision: 'reject', reason: 'forged' }),
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('X-Gantry-Principal is honoured only with Authorization: Bearer');
    // A request copied whole (token, proof, body) acts once: its caller proof is used up.
    const copied = JSON.stringify({ decision: 'reject', reason: 'not yet' });
    const headers = await actingAs(t.plane, 'mallory', `runs/${waiting.runId}/decision`, copied);
    const send = async () => {
      const res = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
        method: 'POST',
        headers,
        body: copied,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await send()).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver' } } });
    expect(await send()).toMatchObject({ status: 403, body: { error: { code: 'caller_proof_replayed' } } });
    // Bob phished: his approval, signed for the look-alike URL he was sent to, forwarded to the real API.
    const phished = JSON.stringify({ decision: 'approve', reason: 'looks fine' });
    const lookAlike = { ...t.plane, operatorApiUrl: 'https://gantry-operators.example.net/v1/' };
    const forwarded = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
      method: 'POST',
      headers: await actingAs(lookAlike, 'bob', `runs/${waiting.runId}/decision`, phished),
      body: phished,
    });
    expect({ status: forwarded.status, body: await forwarded.json() }).toMatchObject({
      status: 403,
      body: { error: { code: 'caller_proof_wrong_api' } },
    });
    expect(await decide('bob', 'approve', '')).toMatchObject({
      status: 400,
      body: { error: { code: 'reason_required' } },
    });
    expect(await decide('bob', 'approve', 'release notes checked')).toEqual({
      status: 200,
      body: { outcome: 'approved' },
    });
    expect(await decide('bob', 'reject', 'changed my mind')).toMatchObject({
      status: 409,
      body: { error: { code: 'already_decided' } },
    });

    const run = await finishedRun(t, push.after);
    expect(run).toMatchObject({ status: 'SUCCEEDED', environment: 'prod', approval: { outcome: 'approved' } });
    expect(run.approval?.decisions.bob).toMatchObject({
      decision: 'approve',
      reason: 'release notes checked',
      principal: 'arn:aws:iam::000000000000:user/bob',
    });
  });

  it('refuses an approver whose commit the delivery leaves out: the provider lists everything since prod’s last release', async () => {
    // release/1.0 is what prod runs now. Bob commits on top of it, then Alice; only Alice's commit
    // is in the push's delivery (its before is Bob's), and no run ever built Bob's.
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', 'release/1.1', 'release/1.0');
    const commitAs = (author: string, file: string) => {
      writeFileSync(join(repo, file), `${author} was here\n`);
      execFileSync('git', ['add', '--all'], { cwd: repo });
      const who = ['-c', `user.name=${author}`, '-c', `user.email=${author.toLowerCase()}@example.com`];
      execFileSync('git', [...who, 'commit', '--quiet', '-m', `${author}'s change`], { cwd: repo });
    };
    commitAs('Bob', 'BOB.md');
    commitAs('Alice', 'ALICE.md');
    const { push } = await t.push({ branch: 'release/1.1' });
    expect(push.commits.map((c) => c.author.name)).toEqual(['Alice']);
    const waiting = await eventually('the run to wait for approval', async () => {
      const run = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === push.after);
      return run?.stages.approval?.status === 'waiting' ? run : undefined;
    });
    expect(waiting.plan.change).toMatchObject({ incomplete: null, listedBy: 'provider' });
    expect(waiting.plan.change.participants.emails).toEqual(
      expect.arrayContaining(['alice@example.com', 'bob@example.com']),
    );
    const res = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
      method: 'POST',
      headers: await actingAs(
        t.plane,
        'bob',
        `runs/${waiting.runId}/decision`,
        JSON.stringify({ decision: 'approve', reason: 'looks fine' }),
      ),
      body: JSON.stringify({ decision: 'approve', reason: 'looks fine' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: {
        code: 'separation_of_duties',
        message: 'bob wrote or committed a commit of this change; another approver must decide',
      },
    });
    // Free prod's lane for whatever runs next.
    const cancelled = await gantry(
      'runs',
      'cancel',
      waiting.runId,
      '--reason',
      'test over',
      '--as',
      'ops',
      '--data-dir',
      t.dataDir,
    );
    expect(cancelled.code).toBe(0);
  }, 180_000);

  it('refuses the opener of the merged pull request behind a push, whose commit carries someone else’s name', async () => {
    // Bob opened pull request #7; its one commit carries Alice's name, and Alice merged it onto release/1.2.
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', 'release/1.2', 'release/1.0');
    writeFileSync(join(repo, 'FASTER.md'), 'faster widgets\n');
    execFileSync('git', ['add', '--all'], { cwd: repo });
    const alice = ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com'];
    execFileSync('git', [...alice, 'commit', '--quiet', '-m', 'Faster widgets'], { cwd: repo });
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const repository = t.config.pipelines[0]?.source.repository ?? 'gantry-demo/sample-service';
    expect(
      t.plane.providers.registerPullRequest('github', repository, {
        number: 7,
        title: 'Faster widgets',
        commits: [head],
        openedBy: { id: 2, login: 'bob' },
        mergedBy: { id: 1, login: 'alice' },
      }).status,
    ).toBe(204);
    const { push } = await t.push({ branch: 'release/1.2' });
    expect(push.after).toBe(head);
    expect(push.commits.map((c) => c.author.name)).toEqual(['Alice']);
    const waiting = await eventually('the run to wait for approval', async () => {
      const run = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === push.after);
      return run?.stages.approval?.status === 'waiting' ? run : undefined;
    });
    expect(waiting.plan.change.pullRequests).toEqual([
      expect.objectContaining({ number: '7', openedBy: expect.objectContaining({ username: 'bob' }) }),
    ]);
    const body = JSON.stringify({ decision: 'approve', reason: 'looks fine' });
    const res = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await actingAs(t.plane, 'bob', `runs/${waiting.runId}/decision`, body)),
      },
      body,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: {
        code: 'separation_of_duties',
        message:
          'bob opened pull request #7 (Faster widgets), which brought this change in; another approver must decide',
      },
    });
    const cancelled = await gantry(
      'runs',
      'cancel',
      waiting.runId,
      '--reason',
      'test over',
      '--as',
      'ops',
      '--data-dir',
      t.dataDir,
    );
    expect(cancelled.code).toBe(0);
    // Its Run Failed has ReportStatus say so on the commit; the run keeps who cancelled it and why.
    const ended = await eventually('the cancelled run’s commit status', async () =>
      statusesOf(waiting.commit).find((s) => s.state === 'error' && s.description === 'cancelled by ops'),
    );
    expect(ended.context).toBe(waiting.plan.status.context);
    const shown = await gantry('runs', 'show', waiting.runId, '--data-dir', t.dataDir);
    expect(shown.stdout).toContain('Cancelled by ops: test over');
    // Asked again, the cancel finishes what it did (nothing left to do), recording nothing twice.
    const again = await gantry(
      'runs',
      'cancel',
      waiting.runId,
      '--reason',
      'again',
      '--as',
      'ops',
      '--data-dir',
      t.dataDir,
    );
    expect(again.code).toBe(0);
    const ends = await ledger(t.dataDir, '--run', waiting.runId, '--type', 'run.failed');
    expect(ends.map((r) => r.details.reason)).toEqual(['cancelled by ops: test over']);
  }, 180_000);

  it('refuses a decision without an IAM identity, as the IAM authorizer would', async () => {
    const res = await fetch(`${t.plane.webhookUrl}/runs/any/decision`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(403);
  });

  it('keeps a cancelled run’s status, which the provider refused, in the triggers dead-letter queue until a redrive posts it', async () => {
    commitOnBranch(t.repo(), 'release/3.0', 'Alice', { 'R3.md': '# 3.0\n' }, 'Release 3.0');
    const { push } = await t.push({ branch: 'release/3.0' });
    const waiting = await eventually('the run to wait for approval', async () => {
      const run = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === push.after);
      return run?.stages.approval?.status === 'waiting' ? run : undefined;
    });
    // The provider refuses the token (revoked) for report-status's three attempts.
    t.plane.providers.failNext(
      ...Array.from({ length: 3 }, () => ({ status: 401, body: '{"message":"Bad credentials"}' })),
    );
    const cancel = [
      'runs',
      'cancel',
      waiting.runId,
      '--reason',
      'provider down',
      '--as',
      'ops',
      '--data-dir',
      t.dataDir,
    ];
    expect((await gantry(...cancel)).code).toBe(0);
    const listed = await eventually(
      'the ended run in the triggers dead-letter queue',
      async () => {
        const out = await gantry('dlq', 'list', '--queue', 'triggers', '--data-dir', t.dataDir);
        return out.stdout.includes('reportstatus') ? out.stdout : undefined;
      },
      60_000,
    );
    expect(listed).toMatch(
      /PipelineStepsreportstatus\S+ \(asynchronous invocation\)\s+RetriesExhausted after 3 attempts/,
    );
    expect(statusesOf(waiting.commit).filter((s) => s.state === 'error')).toEqual([]);
    // The token is fixed: a redrive posts the status the cancel left.
    const redriven = await gantry('dlq', 'redrive', '--queue', 'triggers', '--data-dir', t.dataDir);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toContain('1 redriven');
    await eventually('the cancelled run’s status', async () =>
      statusesOf(waiting.commit).find((s) => s.state === 'error' && s.description === 'cancelled by ops'),
    );
  }, 180_000);
});
