import { SLACK_IDS } from '../../../shared/notify/messages';
import { slackSignature, verifySlackSignature } from '../../../shared/notify/slack-signature';
import { refusalRecorder } from '../../../shared/operators/refusals';
import { answerSlackAction, type SlackActionDeps } from '../../../shared/operators/slack-actions';
import { requestApproval } from '../../../shared/pipelines/approval';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { type PipelineFakes, runsTableFixture } from '../../support/pipeline-fakes';
import { DEFINITION, PEOPLE, planRequest, sourceEvent } from '../../support/plans';

const SECRET = 'slack-signing-secret-for-tests';

/** Alice wrote and pushed the change (test/support/plans.ts); Bob did not. Both are prod approvers. */
const definition = {
  ...DEFINITION,
  environments: DEFINITION.environments.map((e) =>
    e.name === 'prod'
      ? {
          ...e,
          approvers: [
            { ...PEOPLE.alice, slack: ['T0TEAM/U0ALICE'] },
            { ...PEOPLE.bob, slack: ['T0TEAM/U0BOB'] },
            PEOPLE.carol,
          ],
        }
      : e,
  ),
};

function payload(runId: string, user: string, action: 'approve' | 'reject', reason: string | null, team = 'T0TEAM') {
  return {
    type: 'block_actions',
    team: { id: team },
    user: { id: user },
    actions: [{ action_id: action === 'approve' ? SLACK_IDS.approve : SLACK_IDS.reject, value: runId }],
    state: {
      values: { [SLACK_IDS.reasonBlock]: { [SLACK_IDS.reasonInput]: { type: 'plain_text_input', value: reason } } },
    },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
  };
}

function signed(body: unknown, at: Date, secret = SECRET) {
  const rawBody = Buffer.from(`payload=${encodeURIComponent(JSON.stringify(body))}`);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    rawBody,
    headers: {
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(secret, timestamp, rawBody),
    },
  };
}

describe('verifySlackSignature', () => {
  const now = new Date('2026-05-01T10:00:00Z');
  const body = Buffer.from('payload=%7B%7D');
  const ts = String(now.getTime() / 1000);

  it('accepts a body signed with the signing secret at a current timestamp', () => {
    expect(verifySlackSignature(SECRET, ts, slackSignature(SECRET, ts, body), body, now)).toBeUndefined();
  });

  it.each([
    ['signed with another secret', ts, slackSignature('another', ts, body), body],
    ['whose body was changed', ts, slackSignature(SECRET, ts, body), Buffer.from('payload=%7B%22a%22%7D')],
    ['whose signature is truncated', ts, slackSignature(SECRET, ts, body).slice(0, 20), body],
  ])('refuses a request %s', (_what, timestamp, signature, raw) => {
    expect(verifySlackSignature(SECRET, timestamp, signature, raw, now)).toBe('bad_signature');
  });

  it('refuses a correctly signed request older than five minutes (a replay)', () => {
    const old = String(now.getTime() / 1000 - 301);
    expect(verifySlackSignature(SECRET, old, slackSignature(SECRET, old, body), body, now)).toBe('stale_timestamp');
  });

  it('refuses a request without the headers', () => {
    expect(verifySlackSignature(SECRET, undefined, 'v0=x', body, now)).toBe('missing_headers');
  });
});

describe('answerSlackAction', () => {
  let f: PipelineFakes;
  let deps: SlackActionDeps;
  let answers: { url: string; body: unknown }[];

  const runs = runsTableFixture('slack-runs');

  async function waitingRun() {
    ({ fakes: f } = await runs.fresh());
    f.pipelines.deployed = definition;
    answers = [];
    deps = {
      ...f.deps,
      signingSecret: async () => SECRET,
      respond: async (url, body) => void answers.push({ url, body }),
      responseUrlPrefixes: ['https://hooks.slack.com/'],
      unsigned: refusalRecorder(f.deps, () => f.now.getTime(), { unproven: true }),
    };
    const plan = resolvePlan(
      planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' }), 'push', definition),
    );
    await f.runs.create(plan, 'RUNNING', f.now);
    await requestApproval(f.deps, plan, 'token-1', plan.executionArn);
    return plan;
  }

  it('approves for the approver the Slack user is, through the same decision and ledger record as the CLI', async () => {
    const plan = await waitingRun();
    const answer = await answerSlackAction(deps, signed(payload(plan.runId, 'U0BOB', 'approve', 'looks good'), f.now));
    expect(answer).toMatchObject({ status: 200, body: { text: `Run ${plan.runId} approved.` } });
    expect(f.executions.successes).toEqual([{ token: 'token-1', output: { approvedBy: ['bob'] } }]);
    expect(f.audit.records.find((r) => r.type === 'approval.granted')).toMatchObject({
      actor: { type: 'user', id: 'bob', providerIdentity: 'slack:T0TEAM/U0BOB' },
      details: { reason: 'looks good' },
    });
    expect(answers).toEqual([
      {
        url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
        body: expect.objectContaining({ response_type: 'ephemeral' }),
      },
    ]);
  });

  it('refuses the change’s author (separation of duties), answers Slack why and records the refusal', async () => {
    const plan = await waitingRun();
    const answer = await answerSlackAction(
      deps,
      signed(payload(plan.runId, 'U0ALICE', 'approve', 'mine, fine'), f.now),
    );
    expect(answer.body).toMatchObject({ code: 'separation_of_duties' });
    expect(answer.body.text).toMatch(/alice .* this change; another approver must decide/);
    expect(f.executions.successes).toEqual([]);
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ id: 'slack:T0TEAM/U0ALICE' }),
        details: expect.objectContaining({ action: 'approve', code: 'separation_of_duties' }),
      }),
    ]);
    expect(answers[0]?.body).toMatchObject({ text: expect.stringMatching(/^Refused \(separation_of_duties\)/) });
  });

  it('answers a refusal that quotes the change as words: Slack reads no link or mention in it', async () => {
    await waitingRun();
    const hostile = '<https://evil.example|Session expired: sign in again> <!channel>';
    await answerSlackAction(deps, signed(payload(hostile, 'U0BOB', 'approve', 'ok'), f.now));
    const text = (answers[0]?.body as { text?: string } | undefined)?.text ?? '';
    expect(text).toContain('&lt;https://evil.example|Session expired: sign in again&gt; &lt;!channel&gt;');
    expect(text).not.toMatch(/<[!h]/);
  });

  it.each([
    ['a Slack user no identity names', 'U0NOBODY', 'T0TEAM'],
    ['a known user id in another Slack team', 'U0BOB', 'T0OTHER'],
    ['an id that is no Slack id', 'bob', 'T0TEAM'],
  ])('refuses %s (fail closed)', async (_what, user, team) => {
    const plan = await waitingRun();
    const answer = await answerSlackAction(deps, signed(payload(plan.runId, user, 'approve', 'ok', team), f.now));
    expect(answer.body).toMatchObject({ code: 'not_an_approver' });
    expect(f.executions.successes).toEqual([]);
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toHaveLength(1);
  });

  it('says, in its log, where the signing secret goes when a signature does not verify', async () => {
    const plan = await waitingRun();
    const warned: unknown[] = [];
    const logger = { ...deps.logger, warn: (...args: unknown[]) => void warned.push(args) };
    const named = { ...deps, logger, signingSecretId: 'gantry/notifications/slack-signing-secret' } as SlackActionDeps;
    await answerSlackAction(named, signed(payload(plan.runId, 'U0BOB', 'approve', 'ok'), f.now, 'placeholder'));
    expect(warned).toEqual([
      [
        'slack request refused',
        expect.objectContaining({
          code: 'bad_signature',
          hint: expect.stringContaining('in gantry/notifications/slack-signing-secret'),
        }),
      ],
    ]);
  });

  it('tells an approver whose Slack id the config does not list yet what to add', async () => {
    const plan = await waitingRun();
    const answer = await answerSlackAction(deps, signed(payload(plan.runId, 'U0NOBODY', 'approve', 'ok'), f.now));
    expect(answer.body.text).toContain(
      'add "T0TEAM/U0NOBODY" to approvers.identities.<you>.slack in gantry.config.yaml and deploy',
    );
  });

  it('knows a user of an org-wide app (Enterprise Grid: no team, the user’s own team) by that team', async () => {
    const plan = await waitingRun();
    const grid = {
      ...payload(plan.runId, 'U0BOB', 'approve', 'ok'),
      team: null,
      user: { id: 'U0BOB', team_id: 'T0TEAM' },
    };
    const answer = await answerSlackAction(deps, signed(grid, f.now));
    expect(answer.body).toEqual({ text: `Run ${plan.runId} approved.` });
    // Neither team: refused, answered and recorded, not a silent 400.
    const plan2 = await waitingRun();
    const none = { ...payload(plan2.runId, 'U0BOB', 'approve', 'ok'), team: null, user: { id: 'U0BOB' } };
    const refused = await answerSlackAction(deps, signed(none, f.now));
    expect(refused.body).toMatchObject({ code: 'not_an_approver' });
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toHaveLength(1);
  });

  it('requires a reason typed in the message', async () => {
    const plan = await waitingRun();
    const answer = await answerSlackAction(deps, signed(payload(plan.runId, 'U0BOB', 'approve', null), f.now));
    expect(answer.body).toMatchObject({ code: 'reason_required' });
    expect(f.executions.successes).toEqual([]);
  });

  it('rejects with the reason given', async () => {
    const plan = await waitingRun();
    await answerSlackAction(deps, signed(payload(plan.runId, 'U0BOB', 'reject', 'not today'), f.now));
    expect(f.executions.failures).toEqual([
      { token: 'token-1', error: 'Gantry.ApprovalRejected', cause: 'rejected by bob: not today' },
    ]);
  });

  it.each([
    ['signed with another secret', (p: unknown) => signed(p, f.now, 'forged-secret'), 'bad_signature'],
    [
      'signed six minutes ago (a replay)',
      (p: unknown) => signed(p, new Date(f.now.getTime() - 360_000)),
      'stale_timestamp',
    ],
    ['unsigned', (p: unknown) => ({ ...signed(p, f.now), headers: {} }), 'missing_headers'],
  ])('refuses a request %s before reading it, deciding nothing', async (_what, sign, code) => {
    const plan = await waitingRun();
    const answer = await answerSlackAction(deps, sign(payload(plan.runId, 'U0BOB', 'approve', 'ok')));
    expect(answer).toMatchObject({ status: 401, body: { code } });
    expect(f.executions.successes).toEqual([]);
    expect(answers).toEqual([]);
    expect((await f.runs.get(plan.runId))?.approval?.decisions).toEqual({});
    // The attempt is on the ledger, on the run it names, by nobody proven (the Slack ids are its word).
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toEqual([
      expect.objectContaining({
        actor: { type: 'user', id: 'unproven', providerIdentity: null },
        subject: expect.objectContaining({ runId: plan.runId }),
        details: expect.objectContaining({
          action: 'approve',
          code,
          principal: 'unproven (claimed slack:T0TEAM/U0BOB)',
        }),
      }),
    ]);
    // The same forged click again within a minute is logged, not recorded again; one naming no run is not recorded.
    await answerSlackAction(deps, sign(payload(plan.runId, 'U0BOB', 'approve', 'ok')));
    await answerSlackAction(deps, sign(payload('no-such-run', 'U0BOB', 'approve', 'ok')));
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toHaveLength(1);
  });

  it('records a flood of unsigned clicks once a minute, whatever users and runs they claim, with a count and no sender text', async () => {
    const plan = await waitingRun();
    const other = resolvePlan(
      planRequest(sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0' }), 'push', definition),
    );
    await f.runs.create(other, 'RUNNING', f.now);
    const unsigned = (runId: string, user: string) => ({
      ...signed(payload(runId, user, 'approve', 'ok'), f.now),
      headers: {},
    });
    // A script invents a user per request, on every run it can name, after a click naming none.
    await answerSlackAction(deps, unsigned('no-such-run', 'U0X'));
    for (let i = 0; i < 40; i++)
      await answerSlackAction(deps, unsigned(i % 2 ? plan.runId : other.runId, `U${i}${'X'.repeat(i % 3 ? 0 : 5000)}`));
    const refused = () => f.audit.records.filter((r) => r.type === 'operator.refused');
    expect(refused()).toHaveLength(1);
    expect(JSON.stringify(refused())).not.toContain('XXXX');
    f.now = new Date(f.now.getTime() + 60_000);
    await answerSlackAction(deps, unsigned(plan.runId, 'U0BOB'));
    expect(refused()).toHaveLength(2);
    expect(refused()[1]?.details).toMatchObject({
      alsoRefused: 39,
      principal: 'unproven (claimed slack:T0TEAM/U0BOB)',
    });
  });

  it('answers Slack only at a Slack response URL', async () => {
    const plan = await waitingRun();
    const elsewhere = { ...payload(plan.runId, 'U0BOB', 'approve', 'ok'), response_url: 'https://attacker.example/x' };
    await answerSlackAction(deps, signed(elsewhere, f.now));
    expect(answers).toEqual([]);
  });
});
