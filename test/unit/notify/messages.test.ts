import { type NotificationDetail, NotificationInputSchema } from '../../../events';
import { evaluateGates } from '../../../shared/gates/evaluate';
import { parseJUnit } from '../../../shared/gates/junit';
import { render } from '../../../shared/notify/messages';
import { approvalRequested } from '../../../shared/notify/publish';
import type { NotifyTarget } from '../../../shared/notify/targets';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { planRequest, sourceEvent } from '../../support/plans';
import { busEvent, RUN, SLACK } from './fakes';

const TEAMS: NotifyTarget = { ...SLACK, name: 'team-teams', type: 'teams', interactive: false };

/**
 * What a change's author controls reaches a channel as words only. A failing test of an unreviewed
 * pull request names the gate reason; its branch name is the author's too.
 */
const HOSTILE_REASON =
  '**Security notice** re-authenticate: [Approve in Gantry](https://gantry-login.example/phish) <https://evil.example|Open Gantry> <!channel>';
const HOSTILE_BRANCH = 'fix/<!here>-*urgent*';

/**
 * A gate reason naming a failing test whose JUnit name holds line breaks (`&#10;`), a mention and a
 * disguised link: the lines it would invent read as Gantry's own.
 */
const JUNIT_NAME =
  'saves&#10;&#10;✅ Approved by alice &lt;!channel&gt;&#13;&#10;&lt;https://evil.example|Open Gantry&gt;';
const JUNIT_REASON = evaluateGates(
  {
    junit: [
      parseJUnit(
        `<testsuites><testsuite name="api" tests="1" failures="1"><testcase classname="api" name="${JUNIT_NAME}"><failure/></testcase></testsuite></testsuites>`,
        'junit.xml',
      ),
    ],
    coverage: [],
    sarif: [],
  },
  { requireTestsPassed: true },
).reasons.join('; ');

function failed(reason = HOSTILE_REASON): NotificationDetail {
  return NotificationInputSchema.parse(
    busEvent('Run Failed', {
      ...RUN,
      branch: HOSTILE_BRANCH,
      failure: { stage: 'gates', error: 'Gantry.GatesFailed', reason },
      endedAt: '2026-05-01T10:00:00.000Z',
    }),
  );
}

/** Every string in a message, with the path of the field that holds it. */
function strings(value: unknown, path = '$'): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

describe('notification messages', () => {
  it('give Teams the words in TextRuns, which render no Markdown: no disguised link, no emphasis', () => {
    const message = render(TEAMS, failed());
    const texts = strings(message.kind === 'webhook' ? message.body : null);
    const shown = texts.filter((t) => t.path.endsWith('.text'));
    // Every string Teams shows is a TextRun's; none is a TextBlock's (which renders Markdown).
    expect(shown.length).toBeGreaterThan(0);
    for (const { path } of shown) expect(path).toMatch(/\.inlines\[\d+\]\.text$/);
    expect(JSON.stringify(message)).not.toContain('"TextBlock"');
    expect(shown.map((t) => t.text)).toContainEqual(expect.stringContaining(HOSTILE_REASON));
  });

  it('give Slack the change’s words as rich text, and escape what goes in mrkdwn: no link, no mention', () => {
    const message = render(SLACK, failed());
    if (message.kind !== 'webhook') throw new Error('a Slack message is a webhook body');
    const body = message.body as { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
    // Whatever Slack parses as mrkdwn holds no markup of the author's.
    const mrkdwn = [body.text, ...body.blocks.flatMap((b) => (b.text?.type === 'mrkdwn' ? [b.text.text] : []))];
    for (const text of mrkdwn) {
      expect(text).not.toMatch(/<[!#@h]/);
      expect(text).not.toContain('phish');
    }
    // The author's words are in rich_text text elements, shown as written.
    const rich = body.blocks.find((b) => b.type === 'rich_text');
    expect(strings(rich).find((t) => t.text.includes(HOSTILE_REASON))?.path).toMatch(/\.elements\[0\]\.text$/);
    expect(strings(rich).some((t) => t.text.includes(HOSTILE_BRANCH))).toBe(true);
  });

  it('give SNS plain text: e-mail shows it as written', () => {
    const message = render({ ...SLACK, type: 'sns', name: 'mail' }, failed());
    expect(message).toMatchObject({ kind: 'sns', text: expect.stringContaining(HOSTILE_REASON) });
  });
});

describe('a run an operator cancelled', () => {
  it('reads as cancelled, by whom and why, not as a failure', () => {
    const cancelled = NotificationInputSchema.parse(
      busEvent('Run Failed', {
        ...RUN,
        failure: { stage: 'cancelled', error: 'Gantry.Cancelled', reason: 'cancelled by olga: wrong build' },
        endedAt: '2026-05-01T10:00:00.000Z',
      }),
    );
    const message = render({ ...SLACK, type: 'sns', name: 'mail' }, cancelled);
    const text = message.kind === 'sns' ? message.text : '';
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^Run cancelled: /),
      '',
      expect.stringMatching(/^commit /),
      'cancelled by olga: wrong build',
    ]);
  });
});

describe('a failing test whose JUnit name breaks lines', () => {
  const shown = String.raw`saves\n\n✅ Approved by alice <!channel>\r\n<https://evil.example|Open Gantry>`;

  it('holds line breaks the parser decoded', () => {
    expect(JUNIT_REASON).toContain('saves\n\n✅ Approved by alice <!channel>\r\n<https://evil.example|Open Gantry>');
  });

  it('reaches Slack as one line of rich text, its mention and link as words', () => {
    const message = render(SLACK, failed(JUNIT_REASON));
    const body = message.kind === 'webhook' ? (message.body as { text: string; blocks: unknown[] }) : null;
    const rich = strings(body?.blocks.find((b) => (b as { type: string }).type === 'rich_text')).filter((t) =>
      t.path.endsWith('.text'),
    );
    expect(rich.map((t) => t.text)).toEqual([expect.stringContaining(`gates: 1 of 1 test failed: api › ${shown}`)]);
    expect(rich[0]?.text.split('\n')).toHaveLength(2);
    expect(body?.text).not.toContain('<!');
  });

  it('reaches Teams as one TextRun a line', () => {
    const message = render(TEAMS, failed(JUNIT_REASON));
    const texts = strings(message.kind === 'webhook' ? message.body : null).filter((t) => t.path.endsWith('.text'));
    expect(texts).toHaveLength(3);
    for (const { text } of texts) expect(text).not.toMatch(/[\r\n]/);
    expect(texts[2]?.text).toContain(shown);
  });

  it('reaches e-mail as the lines Gantry wrote, no more', () => {
    const message = render({ ...SLACK, type: 'sns', name: 'mail' }, failed(JUNIT_REASON));
    const text = message.kind === 'sns' ? message.text : '';
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^Run failed: /),
      '',
      expect.stringMatching(/^commit /),
      `gates: 1 of 1 test failed: api › ${shown}`,
    ]);
  });

  it.each([
    [
      'a control sequence',
      '\u001b[2A\u001b]8;;https://evil.example\u0007',
      String.raw`\x1b[2A\x1b]8;;https://evil.example\x07`,
    ],
    ['a line separator', 'a\u2028b', String.raw`a\u2028b`],
    ['a right-to-left override', 'txt.\u202eexe', String.raw`txt.\u202eexe`],
  ])('shows %s in a failure reason as an escape', (_what, reason, escaped) => {
    const message = render({ ...SLACK, type: 'sns', name: 'mail' }, failed(reason));
    expect(message.kind === 'sns' ? message.text : '').toContain(`gates: ${escaped}`);
  });
});

describe('an approval request', () => {
  it("tells the approver what a retry's accepted configuration or a rollback releases besides the commit", () => {
    const plan = resolvePlan(planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' })));
    const digest = 'c'.repeat(64);
    const retry = {
      ...plan,
      retry: { ofRunId: 'r-1', reason: 'stack deploy', requestedBy: 'bob', acceptConfiguration: digest },
    };
    const { detail } = approvalRequested(retry, '2026-11-23T11:00:00.000Z', ['alice', 'carol']);
    const message = render(
      { ...SLACK, type: 'sns' },
      NotificationInputSchema.parse(busEvent('Approval Requested', detail)),
    );
    expect(message.kind === 'sns' ? message.text : '').toContain(
      `This approval also releases a changed Lambda configuration ${digest}, accepted by bob`,
    );
    // A first run of a change asks for nothing more than its commit.
    expect(approvalRequested(plan, '2026-11-23T11:00:00.000Z', ['alice']).detail.asks).toBeUndefined();
  });
});
