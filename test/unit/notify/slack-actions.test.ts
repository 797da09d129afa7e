import type { ApprovalRequested, RunPlan } from '../../../events';
import { render, SLACK_IDS } from '../../../shared/notify/messages';
import { slackSignature, verifySlackSignature } from '../../../shared/notify/slack-signature';
import type { NotifyTarget } from '../../../shared/notify/targets';
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

/** The Slack message Gantry posted for each run's approval request, as Slack hands it back with a click. */
const posted = new Map<string, SlackMessage>();

interface SlackMessage {
  readonly text: string;
  readonly blocks: unknown[];
}

const RELEASES: NotifyTarget = {
  name: 'releases',
  type: 'slack',
  events: ['approval-requested'],
  intervalMs: 1000,
  interactive: true,
};

/** A message as Slack hands it back in a click's payload: an id on every block, `emoji` on plain text. */
function asSlackHasIt(body: SlackMessage) {
  const normalized = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(normalized);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value).map(([k, v]) => [k, normalized(v)]);
    return Object.fromEntries('type' in value && value.type === 'plain_text' ? [...entries, ['emoji', true]] : entries);
  };
  return {
    type: 'message',
    subtype: 'bot_message',
    bot_id: 'B0GANTRY',
    ts: '1777629600.000100',
    text: body.text,
    blocks: body.blocks.map((block, i) => ({ block_id: `b${i}`, ...(normalized(block) as object) })),
  };
}

/** What the notifier posts to an interactive Slack target about an approval request. */
function slackBody(detail: ApprovalRequested): SlackMessage {
  const message = render(RELEASES, { detailType: 'Approval Requested', detail });
  if (message.kind !== 'webhook') throw new Error('a Slack target gets a webhook message');
  return message.body as SlackMessage;
}

function payload(
  runId: string,
  user: string,
  action: 'approve' | 'reject',
  reason: string | null,
  team = 'T0TEAM',
  message: unknown = posted.get(runId),
) {
  return {
    type: 'block_actions',
    team: { id: team },
    user: { id: user },
    actions: [{ action_id: action === 'approve' ? SLACK_IDS.approve : SLACK_IDS.reject, value: runId }],
    state: {
      values: { [SLACK_IDS.reasonBlock]: { [SLACK_IDS.reasonInput]: { type: 'plain_text_input', value: reason } } },
    },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
    ...(message === undefined ? {} : { message }),
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
    return anotherWaitingRun('release/1.0', 'b', 'token-1');
  }

  /** A run waiting for approval, and the message Gantry posted about it (as Slack keeps it). */
  async function anotherWaitingRun(branch: string, sha: string, token: string): Promise<RunPlan> {
    const change = sourceEvent({ branch, ref: `refs/heads/${branch}`, after: sha.repeat(40), headSha: sha.repeat(40) });
    const plan = resolvePlan(planRequest(change, 'push', definition));
    await f.runs.create(plan, 'RUNNING', f.now);
    await requestApproval(f.deps, plan, token, plan.executionArn);
    posted.set(plan.runId, asSlackHasIt(slackBody(requested(plan.runId))));
    return plan;
  }

  function requested(runId: string): ApprovalRequested {
    const event = f.bus.published.find(
      (e) => e.detailType === 'Approval Requested' && (e.detail as ApprovalRequested).runId === runId,
    );
    if (event === undefined) throw new Error(`no approval request for ${runId}`);
    return event.detail as ApprovalRequested;
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

  describe('binds the click to the message it was on', () => {
    /** Run A is a harmless change; run B is the release an attacker wants approved. */
    async function twoRuns() {
      const a = await waitingRun();
      const b = await anotherWaitingRun('release/2.0', 'c', 'token-2');
      const shownA = posted.get(a.runId) as ReturnType<typeof asSlackHasIt>;
      const shownB = posted.get(b.runId) as ReturnType<typeof asSlackHasIt>;
      return { a, b, shownA, shownB };
    }

    /** Each block of `message` through `edit`, as someone posting as the app may write it. */
    function edited(message: ReturnType<typeof asSlackHasIt>, edit: (json: string) => string) {
      return JSON.parse(edit(JSON.stringify(message))) as unknown;
    }

    /** A click by Bob (an approver) on `message` (none: the payload has no `message`) whose button names run B. */
    async function expectRefusedOnB(b: RunPlan, message: unknown, code: string) {
      const { message: _shown, ...bare } = payload(b.runId, 'U0BOB', 'approve', 'ok', 'T0TEAM', message);
      const answer = await answerSlackAction(deps, signed(message === undefined ? bare : { ...bare, message }, f.now));
      expect(answer).toMatchObject({ status: 200, body: { code } });
      expect(f.executions.successes).toEqual([]);
      expect((await f.runs.get(b.runId))?.approval).toMatchObject({ decisions: {} });
      expect((await f.runs.get(b.runId))?.approval?.outcome).toBeUndefined();
      expect(f.audit.records.filter((r) => r.type === 'approval.granted')).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toEqual([
        expect.objectContaining({
          actor: expect.objectContaining({ id: 'slack:T0TEAM/U0BOB' }),
          subject: expect.objectContaining({ runId: b.runId, environment: 'prod' }),
          details: expect.objectContaining({ action: 'approve', code }),
        }),
      ]);
      return answer;
    }

    it('refuses a click on a message describing run A whose Approve button names run B, and records it', async () => {
      const { a, b, shownA } = await twoRuns();
      const forged = edited(shownA, (json) => json.replaceAll(`"value":"${a.runId}"`, `"value":"${b.runId}"`));
      const answer = await expectRefusedOnB(b, forged, 'message_mismatch');
      expect(answer.body.text).toContain(`is not Gantry's approval request for run ${b.runId}`);
      expect(answer.body.text).toContain(`gantry runs approve (or reject) ${b.runId} --reason`);
      expect(answers[0]?.body).toMatchObject({ text: expect.stringMatching(/^Refused \(message_mismatch\)/) });
      // Run A's own message still approves run A.
      const genuine = await answerSlackAction(deps, signed(payload(a.runId, 'U0BOB', 'approve', 'ok'), f.now));
      expect(genuine.body).toEqual({ text: `Run ${a.runId} approved.` });
    });

    it.each([
      [
        'a section of the sender’s own above it',
        (m: { blocks: unknown[] }) => ({
          ...m,
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Approve run A: docs only*' } }, ...m.blocks],
        }),
      ],
      [
        'a header block above it',
        (m: { blocks: unknown[] }) => ({
          ...m,
          blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Docs change, safe' } }, ...m.blocks],
        }),
      ],
      ['its environment changed', (m: unknown) => JSON.parse(JSON.stringify(m).replace('→ prod*', '→ staging*'))],
      [
        'its Approve button labelled Reject',
        (m: unknown) => JSON.parse(JSON.stringify(m).replace('"Approve"', '"Reject"')),
      ],
      [
        'its change line struck through',
        (m: unknown) =>
          JSON.parse(JSON.stringify(m).replace('"type":"text",', '"type":"text","style":{"strike":true},')),
      ],
      [
        'a confirm dialog of the sender’s on its Approve button',
        (m: unknown) =>
          JSON.parse(
            JSON.stringify(m).replace(
              `"action_id":"${SLACK_IDS.approve}"`,
              `"action_id":"${SLACK_IDS.approve}","confirm":{"title":{"type":"plain_text","text":"Approve the docs change?"}}`,
            ),
          ),
      ],
      ['a legacy attachment', (m: object) => ({ ...m, attachments: [{ text: 'This only approves the docs change' }] })],
      [
        'approvers the run does not have in its terms',
        (m: unknown) =>
          JSON.parse(
            JSON.stringify(m).replace(/approval\(s\) from [^"]*? until/, 'approval(s) from docs-change-only until'),
          ),
      ],
      ['no blocks at all', (m: object) => ({ ...m, blocks: undefined })],
    ])('refuses run B’s own request with %s', async (_what, edit) => {
      const { b, shownB } = await twoRuns();
      await expectRefusedOnB(b, edit(shownB as never), 'message_mismatch');
    });

    it('refuses a click Slack sent without its message (an ephemeral one) and says where to decide instead', async () => {
      const plan = await waitingRun();
      const answer = await expectRefusedOnB(plan, undefined, 'message_missing');
      expect(answer.body.text).toContain(`gantry runs approve (or reject) ${plan.runId} --reason`);
      expect(answer.body.text).toContain('in the console');
    });

    it('still takes a click on the request posted before its step was retried (an earlier deadline)', async () => {
      const plan = await waitingRun();
      const before = new Date(Date.parse(requested(plan.runId).deadline) - 30_000).toISOString();
      const earlier = asSlackHasIt(slackBody({ ...requested(plan.runId), deadline: before }));
      const answer = await answerSlackAction(
        deps,
        signed(payload(plan.runId, 'U0BOB', 'approve', 'ok', 'T0TEAM', earlier), f.now),
      );
      expect(answer.body).toEqual({ text: `Run ${plan.runId} approved.` });
    });

    it('takes a click on a request naming an approver the deployed pipeline gained after the run was planned', async () => {
      await waitingRun();
      f.pipelines.deployed = {
        ...definition,
        environments: definition.environments.map((e) =>
          e.name === 'prod' ? { ...e, approvers: [...e.approvers, PEOPLE.olga] } : e,
        ),
      };
      const plan = await anotherWaitingRun('release/2.0', 'c', 'token-2');
      expect(requested(plan.runId).approvers).toContain('olga');
      const answer = await answerSlackAction(deps, signed(payload(plan.runId, 'U0BOB', 'approve', 'ok'), f.now));
      expect(answer.body).toEqual({ text: `Run ${plan.runId} approved.` });
    });

    it('refuses a request whose deadline is later than the run’s', async () => {
      const plan = await waitingRun();
      const later = new Date(Date.parse(requested(plan.runId).deadline) + 86_400_000).toISOString();
      await expectRefusedOnB(
        plan,
        asSlackHasIt(slackBody({ ...requested(plan.runId), deadline: later })),
        'message_mismatch',
      );
    });
  });

  it('answers Slack only at a Slack response URL', async () => {
    const plan = await waitingRun();
    const elsewhere = { ...payload(plan.runId, 'U0BOB', 'approve', 'ok'), response_url: 'https://attacker.example/x' };
    await answerSlackAction(deps, signed(elsewhere, f.now));
    expect(answers).toEqual([]);
  });
});
