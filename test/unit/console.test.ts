import type { AuditEvent } from '../../events';
import { GENESIS_HASH, hashEvent, type UnhashedEvent } from '../../shared/audit/chain';
import { toItem } from '../../shared/audit/ledger';
import { auditPeriod } from '../../shared/audit/period';
import { type AuditFilter, readPlanOf } from '../../shared/audit/reader';
import { type LedgerSource, verifyLedger } from '../../shared/audit/verify';
import { consoleApp } from '../../shared/console/app';
import { shellPolicy } from '../../shared/console/assets';
import { stageGraph } from '../../shared/console/graph';
import { LocalConsoleSessions } from '../../shared/console/session';
import { verificationView } from '../../shared/console/verification';
import type { RefusedAction } from '../../shared/operators/refusals';
import type { RunRecord } from '../../shared/runs/model';

const PEOPLE = [
  { identity: 'alice', principal: 'arn:aws:iam::000000000000:user/alice' },
  { identity: 'bob', principal: 'arn:aws:iam::000000000000:user/bob' },
];
const HOST = '127.0.0.1:4000';
const TOKEN = 'task-token-that-must-never-leave-the-server';

function run(): RunRecord {
  return {
    kind: 'run',
    runId: 'run-1',
    pipeline: 'sample-service',
    trigger: 'push',
    repository: 'acme/service',
    commit: 'a'.repeat(40),
    branch: 'release/1',
    environment: 'prod',
    lane: 'sample-service#prod',
    status: 'RUNNING',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:gantry-pipeline-sample-service:run-1',
    plan: { change: { pusher: 'dana', sender: 'dana', authorEmail: 'dana@example.com' } },
    stages: {},
    approval: {
      taskToken: TOKEN,
      requestedAt: '2026-01-01T00:00:00Z',
      deadline: '2099-01-01T00:00:00Z',
      decisions: {},
    },
    laneToken: TOKEN,
  } as unknown as RunRecord;
}

/** A well-formed chain of `length` records, as the ledger writes them. */
function chainOf(length: number, chain = 'acme/service'): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let seq = 1; seq <= length; seq++) {
    const prev = events.at(-1);
    const unhashed: UnhashedEvent = {
      id: `01J${String(seq).padStart(23, '0')}`,
      time: new Date(Date.parse('2026-07-01T00:00:00Z') + seq * 60_000).toISOString(),
      type: 'run.started',
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: { repository: chain, commit: 'c'.repeat(40), runId: `run-${seq}`, environment: 'prod', pipeline: 'app' },
      outcome: 'success',
      details: { n: seq },
      correlationId: `d-${seq}`,
      chain,
      seq,
      prevHash: prev?.hash ?? GENESIS_HASH,
      expiresAt: Math.floor(Date.parse('2099-01-01T00:00:00Z') / 1000),
      prevExpiresAt: prev?.expiresAt ?? null,
    };
    events.push({ ...unhashed, hash: hashEvent(unhashed) });
  }
  return events;
}

/** The ledger as stored items, in (chain, seq) order as DynamoDB returns them. */
function source(items: Record<string, unknown>[]): LedgerSource {
  return {
    chains: async () => [...new Set(items.map((i) => String(i.chain)))],
    chainItems: async function* (chain: string) {
      yield* items.filter((i) => i.chain === chain).sort((a, b) => Number(a.seq) - Number(b.seq));
    },
  };
}

/** A ledger event at `time`. */
function auditEventAt(time: string, seq: number): AuditEvent {
  return { ...(chainOf(1)[0] as AuditEvent), time, seq, id: `e-${seq}` };
}

function setup(ledger: LedgerSource = source([]), audited: AuditEvent[] = []) {
  const sessions = new LocalConsoleSessions(PEOPLE, '/console');
  const calls: { principal: string; body: string }[] = [];
  const refusals: RefusedAction[] = [];
  const queries: unknown[] = [];
  const app = consoleApp({
    base: '/console',
    identity: sessions,
    ports: {
      runs: { list: async () => [run()], get: async (id) => (id === 'run-1' ? run() : undefined) },
      audit: {
        // Keeps the events in the filter's period and of its commit, as AuditReader.query does.
        query: async function* (filter) {
          queries.push(filter);
          const { from, to } = auditPeriod(filter);
          yield* audited.filter(
            (e) =>
              (!from || e.time >= from) &&
              (!to || e.time <= to) &&
              (!filter.commit || e.subject.commit?.startsWith(filter.commit.toLowerCase()) === true),
          );
        },
        head: async (chain) => audited.filter((e) => e.chain === chain).at(-1),
        commitKnown: async (commit) => audited.some((e) => e.subject.commit === commit),
        // No by-chain index in this fake: exports say their completeness was not counted.
        chains: async () => [...new Set(audited.map((e) => e.chain))],
        countInChain: async () => undefined,
      },
      ledger: {
        verify: () => verifyLedger(ledger),
        dossier: () => Promise.reject(new Error('no dossier in this fake: the browser test reads one')),
      },
      executions: { definition: async () => '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}' },
      logs: { read: async () => ({ lines: [], next: 0 }) },
      pipelines: { definitionOf: async () => Promise.reject(new Error('unreadable')) },
      operator: async (event) => {
        calls.push({ principal: String(event.requestContext.identity.userArn), body: event.body ?? '' });
        return { statusCode: 403, body: JSON.stringify({ error: { code: 'not_an_approver', message: 'no' } }) };
      },
      refused: async (refusal) => void refusals.push(refusal),
    },
  });
  const request = (path: string, init: RequestInit & { cookie?: string; host?: string } = {}) =>
    app.request(`http://${init.host ?? HOST}${path}`, {
      ...init,
      headers: { host: init.host ?? HOST, ...(init.cookie ? { cookie: init.cookie } : {}), ...(init.headers ?? {}) },
    });
  const signIn = async () => {
    const res = await request(`/console/?code=${sessions.code}`);
    expect(res.status).toBe(303);
    return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };
  return { sessions, app, calls, queries, refusals, request, signIn };
}

describe('the console server', () => {
  it('refuses every page and API without the session code, and a wrong code sets no cookie', async () => {
    const { request } = setup();
    expect((await request('/console/api/runs')).status).toBe(401);
    expect((await request('/console/')).status).toBe(401);
    const wrong = await request('/console/?code=guess');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('issues an HttpOnly, SameSite=Strict cookie for the code, and refuses a foreign Host even with it', async () => {
    const { request, signIn, sessions } = setup();
    const cookie = await signIn();
    expect((await request('/console/api/runs', { cookie })).status).toBe(200);
    const set = (await request(`/console/?code=${sessions.code}`)).headers.get('set-cookie') ?? '';
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect((await request('/console/api/runs', { cookie, host: 'evil.example:4000' })).status).toBe(401);
    expect((await request(`/console/?code=${sessions.code}`, { host: 'evil.example:4000' })).status).toBe(401);
  });

  it('never answers with a task token', async () => {
    const { request, signIn } = setup();
    const cookie = await signIn();
    for (const path of ['/console/api/runs', '/console/api/runs/run-1']) {
      const text = await (await request(path, { cookie })).text();
      expect(text).toContain('run-1');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('taskToken');
    }
  });

  it('acts only as a configured person, as the chosen one, and refuses an action from another origin', async () => {
    const { request, signIn, calls, refusals } = setup();
    const cookie = await signIn();
    const post = (path: string, body: unknown, origin = `http://${HOST}`) =>
      request(path, {
        method: 'POST',
        cookie,
        body: JSON.stringify(body),
        headers: { origin, 'content-type': 'application/json' },
      });
    expect((await post('/console/api/me', { identity: 'mallory' })).status).toBe(400);
    expect((await post('/console/api/me', { identity: 'bob' })).status).toBe(200);
    const refused = await post('/console/api/runs/run-1/decision', { decision: 'approve', reason: 'ok' });
    expect(refused.status).toBe(403);
    expect(calls).toEqual([
      { principal: PEOPLE[1]?.principal, body: JSON.stringify({ decision: 'approve', reason: 'ok' }) },
    ]);
    const forged = await post(
      '/console/api/runs/run-1/decision',
      { decision: 'approve', reason: 'x' },
      'http://evil.example',
    );
    expect(forged.status).toBe(403);
    expect(calls).toHaveLength(1);
    // The attempt is the auditor's to see, made as the person whose browser sent it.
    expect(refusals).toEqual([
      {
        runId: 'run-1',
        action: 'decision',
        principal: PEOPLE[1]?.principal,
        code: 'cross_origin',
        message: 'actions are taken from the console page only',
      },
    ]);
  });

  it('hides actions when who may act cannot be read (fails closed)', async () => {
    const { request, signIn } = setup();
    const view = (await (await request('/console/api/runs/run-1', { cookie: await signIn() })).json()) as {
      actions: { decide: boolean; cancel: boolean; retry: boolean };
    };
    expect(view.actions).toMatchObject({ decide: false, cancel: false, retry: false });
  });
});

describe("the Audit page's query and export", () => {
  it('refuses a period that is no period with a 400 that says which bound to fix, and reads nothing', async () => {
    const { request, signIn, queries } = setup();
    const cookie = await signIn();
    for (const path of [
      '/console/api/audit',
      '/console/api/audit/export?format=jsonl&',
      '/console/api/audit?runId=run-1&',
      '/console/api/audit?repository=acme/payments&',
    ]) {
      const sep = path.includes('?') ? '' : '?';
      const reversed = await request(`${path}${sep}from=2026-08-12&to=2026-08-10`, { cookie });
      expect(reversed.status).toBe(400);
      expect(await reversed.json()).toEqual({
        error: {
          code: 'bad_request',
          message: 'from 2026-08-12 comes after to 2026-08-10: no event can match; swap them',
        },
      });
      const garbled = await request(`${path}${sep}from=yesterday`, { cookie });
      expect(garbled.status).toBe(400);
      expect(((await garbled.json()) as { error: { message: string } }).error.message).toMatch(
        /^from "yesterday" is not a date \(2026-07-01\) or an ISO time/,
      );
    }
    // A period read day by day that would outlast the function's deadline, unless something narrows it.
    const refusal = (days: number) =>
      `the period spans ${days} days and nothing narrows it: choose at most 366 days (a repository, at most 92), or a run or full commit (gantry audit export reads longer periods)`;
    const decades = await request('/console/api/audit?from=1970-01-01&to=2026-08-10', { cookie });
    expect(decades.status).toBe(400);
    expect(((await decades.json()) as { error: { message: string } }).error.message).toBe(refusal(20676));
    // An actor narrows no key (a pusher is matched by provider identity, which no index holds): still day by day.
    const actor = await request('/console/api/audit?from=1970-01-01&to=2026-08-10&actor=octocat', { cookie });
    expect(actor.status).toBe(400);
    expect(((await actor.json()) as { error: { message: string } }).error.message).toBe(refusal(20676));
    // 367 days is one too many; 366 is read.
    const over = await request('/console/api/audit?from=2025-08-09&to=2026-08-10', { cookie });
    expect(((await over.json()) as { error: { message: string } }).error.message).toBe(refusal(367));
    // A repository is read from its own index up to 92 days: a busy one's year would outlast the 29 s.
    for (const query of ['from=1970-01-01&to=2026-08-10', 'from=2026-05-10&to=2026-08-10']) {
      const chain = await request(`/console/api/audit?${query}&repository=acme/payments`, { cookie });
      expect(chain.status).toBe(400);
      expect(((await chain.json()) as { error: { message: string } }).error.message).toBe(
        "a repository's period is read here up to 92 days: choose a later from or an earlier to, or a run (gantry audit export reads longer periods)",
      );
    }
    expect(queries).toEqual([]);
    const narrowed = await request('/console/api/audit?from=2026-05-11&to=2026-08-10&repository=acme/payments', {
      cookie,
    });
    expect(narrowed.status).toBe(200);
    // A run is an index, over any period.
    expect((await request('/console/api/audit?from=1970-01-01&runId=run-1', { cookie })).status).toBe(200);
    expect((await request('/console/api/audit?from=2025-08-10&to=2026-08-10', { cookie })).status).toBe(200);
    expect(queries).toEqual([
      { from: '2026-05-11', to: '2026-08-10', repository: 'acme/payments' },
      { from: '1970-01-01', runId: 'run-1' },
      { from: '2025-08-10', to: '2026-08-10' },
    ]);
    queries.length = 0;
    // The same page with the bounds the right way round reads the ledger.
    expect((await request('/console/api/audit?from=2026-08-10&to=2026-08-12', { cookie })).status).toBe(200);
    expect(queries).toEqual([{ from: '2026-08-10', to: '2026-08-12' }]);
  });

  it('reads the last 30 days when nothing bounds a search, however old the ledger, and says from when', async () => {
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
    // A ledger kept for more than a year (the default retention is seven): an event 400 days old, one from 5 days ago.
    const old = auditEventAt(new Date(Date.now() - 400 * 86_400_000).toISOString(), 1);
    const recent = auditEventAt(new Date(Date.now() - 5 * 86_400_000).toISOString(), 2);
    const { request, signIn, queries } = setup(source([]), [old, recent]);
    const cookie = await signIn();
    const before = day(29);
    const empty = await request('/console/api/audit', { cookie });
    const after = day(29);
    expect(empty.status).toBe(200);
    const page = (await empty.json()) as { events: AuditEvent[]; defaultFrom: string; defaultDays: number };
    expect(page.events.map((e) => e.id)).toEqual([recent.id]);
    expect([before, after]).toContain(page.defaultFrom);
    expect(page.defaultDays).toBe(30);
    expect(queries).toEqual([{ from: page.defaultFrom }]);
    queries.length = 0;
    // An actor or a type bounds nothing either; `to` alone reads the 30 days up to it.
    expect((await request('/console/api/audit?actor=octocat', { cookie })).status).toBe(200);
    const until = (await (await request('/console/api/audit?to=2024-03-01', { cookie })).json()) as {
      defaultFrom: string;
    };
    expect(until.defaultFrom).toBe('2024-02-01');
    // A run or a full commit is read by its index, over the whole ledger: no default, none said.
    const byRun = (await (await request('/console/api/audit?runId=run-1', { cookie })).json()) as object;
    expect(byRun).not.toHaveProperty('defaultFrom');
    // A repository alone would be its whole chain: the same 30 days, said.
    const byRepository = (await (await request('/console/api/audit?repository=acme/service', { cookie })).json()) as {
      defaultFrom: string;
    };
    expect(byRepository.defaultFrom).toBe(page.defaultFrom);
    // A `to` past today reads the 30 days up to today, not 30 empty days before `to`.
    const farTo = (await (
      await request('/console/api/audit?repository=acme/service&to=9999-12-31', { cookie })
    ).json()) as {
      defaultFrom: string;
    };
    expect(farTo.defaultFrom).toBe(page.defaultFrom);
    expect(queries).toEqual([
      { actor: 'octocat', from: page.defaultFrom },
      { to: '2024-03-01', from: '2024-02-01' },
      { runId: 'run-1' },
      { repository: 'acme/service', from: page.defaultFrom },
      { repository: 'acme/service', to: '9999-12-31', from: page.defaultFrom },
    ]);
    // A `to` in year 0 reads from its first day, not from a year the page cannot name.
    const yearZero = await request('/console/api/audit?to=0000-01-15', { cookie });
    expect(yearZero.status).toBe(200);
    expect(((await yearZero.json()) as { defaultFrom: string }).defaultFrom).toBe('0000-01-01');
    queries.length = 0;
    // The export reads the same days, and its manifest records them.
    const manifest = await request('/console/api/audit/export?format=jsonl&part=manifest', { cookie });
    expect(manifest.status).toBe(200);
    expect(await manifest.json()).toMatchObject({ filter: { from: page.defaultFrom }, count: 1 });
  });

  it('reads a known 40-character commit by its index over any period, and refuses only the prefix read it would need', async () => {
    const known = { ...auditEventAt(new Date(Date.now() - 300 * 86_400_000).toISOString(), 1) };
    const { request, signIn } = setup(source([]), [known]);
    const cookie = await signIn();
    const commit = known.subject.commit as string;
    const from = new Date(Date.now() - 400 * 86_400_000).toISOString().slice(0, 10);
    const found = await request(`/console/api/audit?commit=${commit}&repository=acme/service&from=${from}`, { cookie });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { events: AuditEvent[] }).events).toHaveLength(1);
    const unknown = await request(`/console/api/audit?commit=${'d'.repeat(40)}&repository=acme/service&from=${from}`, {
      cookie,
    });
    expect(unknown.status).toBe(400);
    // An export that finds nothing for 40 characters no record names says where it looked.
    const empty = await request(`/console/api/audit/export?format=jsonl&commit=${'d'.repeat(40)}`, { cookie });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toBe(
      `nothing to export: no event names commit ${'d'.repeat(40)} as a whole SHA-1 id; if it is the start of a SHA-256 id, give all 64 characters, or a run, or a repository and a from, to look for it in`,
    );
  });

  it('says how to look further when 40 characters name no SHA-1 commit, and only then', async () => {
    const { request, signIn, queries } = setup();
    const cookie = await signIn();
    const sha1 = 'ab'.repeat(20);
    const answer = async (query: string) =>
      (await (await request(`/console/api/audit?${query}`, { cookie })).json()) as { hint?: string };
    expect((await answer(`commit=${sha1.toUpperCase()}`)).hint).toBe(
      `no event names commit ${sha1} as a whole SHA-1 id; if it is the start of a SHA-256 id, give all 64 characters, or a run, or a repository and a from, to look for it in`,
    );
    // Looked for as a prefix in a repository's period, or whole at 64 characters: nothing more to say.
    expect(await answer(`commit=${sha1}&repository=acme/service&from=2026-11-01`)).not.toHaveProperty('hint');
    expect(await answer(`commit=${'ab'.repeat(32)}`)).not.toHaveProperty('hint');
    // A whole commit is read by its index, over the whole ledger: no default period, with a repository too.
    const withRepository = await answer(`commit=${sha1}&repository=acme/service`);
    expect(withRepository).not.toHaveProperty('defaultFrom');
    expect(withRepository.hint).toContain('give all 64 characters');
    expect(queries).toEqual([
      { commit: sha1.toUpperCase() },
      { commit: sha1, repository: 'acme/service', from: '2026-11-01' },
      { commit: 'ab'.repeat(32) },
      { commit: sha1, repository: 'acme/service' },
    ]);
  });

  it('reads delivery metrics over 1 to 274 whole days, which with the 90-day lookback is 366 days of the ledger', async () => {
    const { request, signIn, queries } = setup();
    const cookie = await signIn();
    expect((await request('/console/api/metrics?days=274', { cookie })).status).toBe(200);
    expect((await request('/console/api/metrics', { cookie })).status).toBe(200);
    expect(queries).toHaveLength(2);
    // Too many to read in one request, or no number of days at all: refused before any date is made of it.
    // The 274 days it reads, with the lookback and the day after, are as many days as one request may read.
    expect(readPlanOf(queries[0] as AuditFilter)).toEqual({ by: 'days', days: 366 });
    for (const days of ['275', 'Infinity', '1e20', '-1', '0', '0.5', 'soon', '0x10', '1e2', '+5', '274.0', '0274']) {
      const refused = await request(`/console/api/metrics?days=${encodeURIComponent(days)}`, { cookie });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
        `days is a whole number from 1 to 274, not "${days}" (with the 90-day lookback, 274 days is 366 days of the ledger, as many as one request can read): gantry metrics dora reads longer periods`,
      );
    }
    expect(queries).toHaveLength(2);
  });
});

describe('the ledger verification on the Audit page', () => {
  const verify = async (items: Record<string, unknown>[]) => {
    const { request, signIn } = setup(source(items));
    const res = await request('/console/api/audit/verify', { cookie: await signIn() });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      ok: boolean;
      summary: string;
      events: number;
      chains: number;
      firstBreak: { chain: string; seq: number; kind: string } | null;
      brokenChains: string[];
    };
  };

  it('says an untouched ledger verifies, with its events and chains counted', async () => {
    const items = [...chainOf(5), ...chainOf(3, 'acme/web')].map(toItem);
    const view = await verify(items);
    expect(view).toMatchObject({ ok: true, events: 8, chains: 2, firstBreak: null, brokenChains: [] });
    expect(view.summary).toMatch(/^Verified 8 event\(s\) in 2 chain\(s\)/);
  });

  it('shows the first break and where it is when a record was edited after it was written', async () => {
    const items = [...chainOf(5), ...chainOf(3, 'acme/web')].map(toItem);
    const edited = items.find((i) => i.chain === 'acme/service' && i.seq === 3);
    if (edited === undefined) throw new Error('no record 3');
    edited.outcome = 'failure';
    const view = await verify(items);
    expect(view.ok).toBe(false);
    expect(view.firstBreak).toMatchObject({ chain: 'acme/service', seq: 3 });
    expect(view.brokenChains).toEqual(['acme/service']);
    expect(view.summary).toMatch(/does not verify: chain acme\/service breaks at seq 3/);
  });

  it('says the ledger does not verify when a signed checkpoint fails, though every chain links', async () => {
    const view = verificationView({
      ...(await verifyLedger(source(chainOf(2).map(toItem)))),
      ok: false,
      checkpoints: {
        checked: 1,
        failures: [{ key: 'cp-1', message: 'checkpoint cp-1 does not carry a valid signature' }],
      },
    });
    expect(view).toMatchObject({ ok: false, firstBreak: null, checkpoints: { checked: 1 } });
    expect(view.summary).toBe('The ledger does not verify: checkpoint cp-1 does not carry a valid signature');
  });

  it('shows a deleted record as a break at the gap', async () => {
    const items = chainOf(5)
      .map(toItem)
      .filter((i) => i.seq !== 2);
    const view = await verify(items);
    expect(view.ok).toBe(false);
    expect(view.firstBreak?.seq).toBe(3);
  });
});

describe('shellPolicy', () => {
  const connectSrc = (policy: string) => policy.split('; ').find((d) => d.startsWith('connect-src'));
  const signIn = { issuer: 'https://idp.example/tenant/v2.0', clientId: 'c', scopes: ['openid'], claim: 'sub' };

  it('lets the page fetch from the console only when nobody signs in through the browser', () => {
    expect(connectSrc(shellPolicy('/console'))).toBe("connect-src 'self'");
  });

  it("lets the sign-in reach the issuer's and the configured endpoints' origins, and no other https host", () => {
    expect(connectSrc(shellPolicy('/console', signIn))).toBe("connect-src 'self' https://idp.example");
    const cognito = {
      ...signIn,
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      authorizationEndpoint: 'https://gantry.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
      tokenEndpoint: 'https://gantry.auth.eu-west-1.amazoncognito.com/oauth2/token',
    };
    expect(connectSrc(shellPolicy('/console', cognito))).toBe(
      "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com https://gantry.auth.eu-west-1.amazoncognito.com",
    );
    expect(shellPolicy('/console', cognito)).not.toMatch(/(^|[ ;])https:($|[ ;])/);
  });
});

describe('stageGraph', () => {
  /** The shape Gantry's pipelines have: each stage's states catch into `Failed <stage>`, one deploy per environment. */
  const asl = JSON.stringify({
    StartAt: 'ResolvePlan',
    States: {
      ResolvePlan: { Type: 'Task', Next: 'Skip?', Catch: [{ Next: 'ClosePlanFailure' }] },
      'Skip?': { Type: 'Choice', Choices: [{ Next: 'Skipped' }], Default: 'Rollback?' },
      'Rollback?': { Type: 'Choice', Choices: [{ Next: 'Rollback' }], Default: 'Build' },
      Rollback: { Type: 'Pass', Next: 'Env?' },
      Build: { Type: 'Task', Next: 'EvaluateGates', Catch: [{ Next: 'Failed build' }] },
      EvaluateGates: { Type: 'Task', Next: 'Env?', Catch: [{ Next: 'Failed gates' }] },
      'Env?': { Type: 'Choice', Choices: [{ Next: 'Deploy dev' }], Default: 'Approval prod' },
      'Approval prod': { Type: 'Task', Next: 'Deploy prod', Catch: [{ Next: 'Failed approval' }] },
      'Deploy dev': { Type: 'Task', Next: 'Bake dev', Catch: [{ Next: 'Failed deploy' }] },
      'Bake dev': { Type: 'Wait', Next: 'ReportSuccess' },
      'Deploy prod': { Type: 'Task', Next: 'Bake prod', Catch: [{ Next: 'Failed deploy' }] },
      'Bake prod': { Type: 'Wait', Next: 'ReportSuccess' },
      ReportSuccess: { Type: 'Task', Next: 'Succeeded', Catch: [{ Next: 'Failed report' }] },
      Succeeded: { Type: 'Succeed' },
      Skipped: { Type: 'Succeed' },
      ClosePlanFailure: { Type: 'Task', Next: 'PlanFailed' },
      PlanFailed: { Type: 'Fail' },
      ...Object.fromEntries(
        ['build', 'gates', 'approval', 'deploy', 'report'].map((s) => [
          `Failed ${s}`,
          { Type: 'Pass', Next: 'RecordFailure' },
        ]),
      ),
      RecordFailure: { Type: 'Task', Next: 'RunFailed' },
      RunFailed: { Type: 'Fail' },
    },
  });
  const at = '2026-12-04T10:00:00Z';
  const done = { status: 'succeeded', startedAt: at, endedAt: at } as const;
  const statuses = (run: Parameters<typeof stageGraph>[1]) =>
    Object.fromEntries(
      stageGraph(asl, run)
        .filter((n) => n.status !== 'pending')
        .map((n) => [n.name, n.status]),
    );

  it("colours a prod run waiting for approval from its record: the stages done, the approval running, dev's deploy untaken", () => {
    const run = {
      status: 'RUNNING',
      environment: 'prod',
      plan: {},
      stages: { plan: done, build: done, gates: done, approval: { status: 'waiting', startedAt: at } },
    } as const;
    // Env? is reached from the gates and from a rollback: the gates ran, so the rollback branch was not taken.
    expect(statuses(run)).toEqual({
      ResolvePlan: 'succeeded',
      'Skip?': 'succeeded',
      'Rollback?': 'succeeded',
      Build: 'succeeded',
      EvaluateGates: 'succeeded',
      'Env?': 'succeeded',
      'Approval prod': 'running',
    });
    const graph = stageGraph(asl, run);
    expect(graph.slice(0, 3).map((n) => n.name)).toEqual(['ResolvePlan', 'Skip?', 'Rollback?']);
    expect(graph.find((n) => n.name === 'RecordFailure')?.failurePath).toBe(true);
    expect(graph.find((n) => n.name === 'Deploy dev')?.failurePath).toBe(false);
  });

  it('shows a failed build, the failure path it took, and nothing after it', () => {
    const run = {
      status: 'FAILED',
      environment: 'dev',
      plan: {},
      failure: { stage: 'build', error: 'BuildFailed', reason: 'exit 1' },
      stages: { plan: done, build: { status: 'failed', startedAt: at, endedAt: at } },
    } as const;
    expect(statuses(run)).toEqual({
      ResolvePlan: 'succeeded',
      'Skip?': 'succeeded',
      'Rollback?': 'succeeded',
      Build: 'failed',
      'Failed build': 'failed',
      RecordFailure: 'succeeded',
      RunFailed: 'failed',
    });
  });

  it('takes the rollback branch for a rollback run, which builds nothing', () => {
    const run = {
      status: 'RUNNING',
      environment: 'prod',
      plan: {},
      stages: { plan: done, approval: { status: 'waiting', startedAt: at } },
    } as const;
    expect(statuses(run)).toEqual({
      ResolvePlan: 'succeeded',
      'Skip?': 'succeeded',
      'Rollback?': 'succeeded',
      Rollback: 'succeeded',
      'Env?': 'succeeded',
      'Approval prod': 'running',
    });
  });

  it('reaches Succeeded through what ran, and Skipped only for a skipped run', () => {
    const deployed = {
      status: 'SUCCEEDED',
      environment: 'dev',
      plan: {},
      stages: { plan: done, build: done, gates: done, deploy: done, report: done },
    } as const;
    expect(Object.keys(statuses(deployed))).toEqual(
      expect.arrayContaining(['Deploy dev', 'Bake dev', 'ReportSuccess', 'Succeeded']),
    );
    expect(statuses(deployed)).not.toHaveProperty('Skipped');
    expect(statuses(deployed)).not.toHaveProperty('Deploy prod');
    const skipped = {
      status: 'SUCCEEDED',
      environment: null,
      plan: { skip: 'no trigger' },
      stages: { plan: done },
    } as const;
    expect(statuses(skipped)).toEqual({ ResolvePlan: 'succeeded', 'Skip?': 'succeeded', Skipped: 'succeeded' });
  });
});

describe('staticAsset', () => {
  it("serves the console's named files only, never a name the object inherits", async () => {
    const { staticAsset } = await import('../../shared/console/assets');
    expect(staticAsset('preact.mjs')?.status).toBe(200);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '../package.json'])
      expect(staticAsset(name)).toBeUndefined();
  });
});
