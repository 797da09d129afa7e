import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AuditEvent } from '../../events';
import { commitHint } from '../audit/commit';
import { dossierMarkdown } from '../audit/evidence';
import { AuditExportIncomplete, EXPORT_FORMATS, type ExportFormat, exportAudit } from '../audit/export';
import { auditPeriod } from '../audit/period';
import { type AuditFilter, REPOSITORY_DAYS_MS, readPlanOf, startOfDay } from '../audit/reader';
import { computeDora } from '../metrics/dora';
import { publicRun, RUN_STATUSES, type RunRecord, type RunStatus } from '../runs/model';
import { actionsFor } from './actions';
import { shellPage, shellPolicy, staticAsset } from './assets';
import { type GraphNode, stageGraph, versionOf } from './graph';
import type { ConsoleIdentity, ConsolePorts, ConsoleRefusal, ConsoleUser } from './ports';
import { verificationView } from './verification';

export interface ConsoleOptions {
  readonly ports: ConsolePorts;
  readonly identity: ConsoleIdentity;
  /** Where the console is mounted (`/console`). */
  readonly base: string;
  /** Links to the AWS console; none locally. */
  readonly awsConsole?: { readonly region: string };
  /** How often the live stream looks for a change. @default 150 ms */
  readonly pollMs?: number;
  /**
   * Whether the run's event stream stays open. Lambda behind an HTTP API answers buffered, so
   * there it sends the current view and ends (the browser polls). @default true
   */
  readonly stream?: boolean;
}

type Env = { Variables: { user: ConsoleUser } };
const MAX_RUNS = 10_000;
const AUDIT_PAGE = 500;
/** The most days the Audit and Metrics pages read one by one when no repository, run or full commit narrows it. */
const MAX_DAY_READS = 366;
const DAY = 86_400_000;
/** With no `from` and nothing that narrows it by index, an Audit search or export reads this many days up to `to` (or today). */
const DEFAULT_AUDIT_DAYS = 30;
const YEAR_ZERO = Date.parse('0000-01-01T00:00:00Z');
const LOOKBACK_DAYS = 90;
/** The longest period the Metrics page reads: its lookback, the day after it and today's partial day take the rest of MAX_DAY_READS. */
const MAX_METRICS_DAYS = MAX_DAY_READS - LOOKBACK_DAYS - 2;

/**
 * The web console: the pages (one HTML shell, preact modules) and the JSON they read. Reads go
 * to the runs table, the ledger, the executions and the logs; every action goes through the
 * operator API's use cases as the signed-in person.
 */
export function consoleApp(options: ConsoleOptions): Hono<Env> {
  const { ports, identity, base } = options;
  const app = new Hono<Env>({ strict: false }).basePath(base);
  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
  });
  app.get('/static/:file{.+}', (c) => staticAsset(c.req.param('file')) ?? c.text('not found', 404));
  const api = `${base}/api/`;
  app.use('*', async (c, next) => {
    // With a browser sign-in (AWS), the shell is public: it holds nothing, and the API needs the bearer.
    if (identity.signIn !== undefined && !c.req.path.startsWith(api)) return next();
    const signIn = identity.exchange?.(c.req.raw);
    if (signIn !== undefined) return signIn;
    const who = await identity.userOf(c.req.raw, c.env);
    if ('refused' in who) {
      const status = who.code === 'unknown_person' ? 403 : 401;
      await auditRefusedAction(ports, c, base, who);
      return c.req.path.startsWith(api)
        ? c.json({ error: { code: who.code ?? 'not_signed_in', message: who.refused } }, status)
        : c.html(refusedPage(who.refused), status);
    }
    if (c.req.method !== 'GET' && !sameOrigin(c)) {
      // A signed-in person's browser sent it from another page (cross-site request forgery, or a
      // proxy that rewrites Origin): the auditor sees the attempt, on the person it was made as.
      const refused = 'actions are taken from the console page only';
      await auditRefusedAction(ports, c, base, { refused, principal: who.principal }, 'cross_origin');
      return c.json({ error: { code: 'cross_origin', message: refused } }, 403);
    }
    c.set('user', who);
    await next();
  });
  for (const page of ['/', '/runs/*', '/audit', '/metrics', '/callback'])
    app.get(page, (c) => {
      c.header('content-security-policy', shellPolicy(base, identity.signIn));
      return c.html(shellPage(base, identity.signIn));
    });
  app.get('/api/me', (c) => c.json({ ...c.get('user'), choices: identity.choices }));
  app.post('/api/me', async (c) => {
    const { identity: chosen } = (await c.req.json().catch(() => ({}))) as { identity?: unknown };
    if (typeof chosen !== 'string' || !identity.choose?.(c.req.raw, chosen))
      return c.json({ error: { code: 'bad_request', message: `act as one of: ${identity.choices.join(', ')}` } }, 400);
    return c.json({ identity: chosen });
  });
  app.get('/api/runs', async (c) => c.json({ runs: (await listRuns(ports, c)).map(summaryOf) }));
  app.get('/api/runs/:runId', async (c) => {
    const view = await runView(ports, c.req.param('runId'), c.get('user'), options);
    return view ? c.json(view) : c.json({ error: { code: 'run_not_found', message: 'no such run' } }, 404);
  });
  app.get('/api/runs/:runId/events', (c) =>
    streamSSE(c, async (stream) => {
      let last = '';
      while (!stream.aborted && !stream.closed) {
        const view = await runView(ports, c.req.param('runId'), c.get('user'), options);
        if (view !== undefined && view.version !== last) {
          last = view.version;
          await stream.writeSSE({ event: 'run', data: JSON.stringify(view) });
        }
        if (options.stream === false) return;
        await stream.sleep(options.pollMs ?? 150);
      }
    }),
  );
  app.get('/api/runs/:runId/log', async (c) => {
    const run = await ports.runs.get(c.req.param('runId'));
    if (!run?.build?.logGroup || !run.build.logStream) return c.json({ lines: [], next: 0 });
    const filter = c.req.query('q')?.trim();
    const out = await ports.logs.read(run.build.logGroup, run.build.logStream, {
      from: Math.max(0, Number(c.req.query('from') ?? 0) || 0),
      limit: Math.min(2000, Math.max(1, Number(c.req.query('limit') ?? 500) || 500)),
      ...(filter ? { filter } : {}),
    });
    return c.json(out);
  });
  for (const action of ['decision', 'cancel', 'retry'] as const) {
    app.post(`/api/runs/:runId/${action}`, async (c) => {
      const user = c.get('user');
      const result = await ports.operator(
        operatorEvent(action, c.req.param('runId'), await c.req.text(), user.principal),
        user,
      );
      return c.body(result.body, result.statusCode as 200, { 'content-type': 'application/json' });
    });
  }
  app.post('/api/runs/:runId/rollback', async (c) => {
    const { reason } = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
    const body = JSON.stringify({ runId: c.req.param('runId'), reason: typeof reason === 'string' ? reason : '' });
    const user = c.get('user');
    const result = await ports.operator(operatorEvent('rollback', '', body, user.principal), user);
    return c.body(result.body, result.statusCode as 200, { 'content-type': 'application/json' });
  });
  app.get('/api/audit', async (c) => {
    const search = await auditFilter(c, ports);
    if ('error' in search) return c.json(search, 400);
    const events: AuditEvent[] = [];
    for await (const event of ports.audit.query(search.filter)) {
      events.push(event);
      if (events.length >= AUDIT_PAGE) break;
    }
    const hint = await commitHint(search.filter, events.length, (commit) => ports.audit.commitKnown(commit));
    return c.json({
      events,
      truncated: events.length >= AUDIT_PAGE,
      ...(search.defaultFrom ? { defaultFrom: search.defaultFrom, defaultDays: DEFAULT_AUDIT_DAYS } : {}),
      ...(hint ? { hint } : {}),
    });
  });
  app.get('/api/audit/verify', async (c) => c.json(verificationView(await ports.ledger.verify())));
  app.get('/api/runs/:runId/dossier', async (c) => {
    const dossier = await ports.ledger.dossier(c.req.param('runId'));
    return c.json({ markdown: dossierMarkdown(dossier), gaps: dossier.gaps });
  });
  app.get('/api/metrics', async (c) => {
    const asked = c.req.query('days')?.trim() || '30';
    const days = /^\d{1,3}$/.test(asked) ? Number(asked) : Number.NaN;
    // Checked before any date is made of it: Infinity or 1e20 days is no Date, and 0.5 is no period.
    if (!(days >= 1 && days <= MAX_METRICS_DAYS))
      return c.json(
        badRequest(
          `days is a whole number from 1 to ${MAX_METRICS_DAYS}, not "${asked}" (with the ${LOOKBACK_DAYS}-day lookback, ${MAX_METRICS_DAYS} days is ${MAX_DAY_READS} days of the ledger, as many as one request can read): gantry metrics dora reads longer periods`,
        ),
        400,
      );
    const to = new Date();
    const from = new Date(to.getTime() - days * DAY);
    // As `gantry metrics dora` reads it: a lookback for each environment's first landing, and the failure window after.
    const read = {
      from: new Date(from.getTime() - LOOKBACK_DAYS * DAY).toISOString(),
      to: new Date(to.getTime() + DAY).toISOString(),
    };
    const events: AuditEvent[] = [];
    for await (const e of ports.audit.query(read)) events.push(e);
    const pipeline = c.req.query('pipeline')?.trim();
    const environment = c.req.query('environment')?.trim();
    return c.json(
      computeDora(events, { from, to, ...(pipeline ? { pipeline } : {}), ...(environment ? { environment } : {}) }),
    );
  });
  app.get('/api/audit/export', async (c) => {
    const format = c.req.query('format') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format))
      return c.json({ error: { code: 'bad_request', message: `format is one of ${EXPORT_FORMATS.join(', ')}` } }, 400);
    const search = await auditFilter(c, ports);
    if ('error' in search) return c.json(search, 400);
    const { filter } = search;
    const dir = mkdtempSync(join(tmpdir(), 'gantry-console-export-'));
    try {
      const out = join(dir, `audit.${format}`);
      const manifest = await exportAudit(ports.audit, { filter, format, out }).catch((error: unknown) =>
        error instanceof AuditExportIncomplete ? error : Promise.reject(error),
      );
      if (manifest instanceof AuditExportIncomplete)
        return c.json({ error: { code: 'export_incomplete', message: manifest.message } }, 409);
      // Nothing exported for 40 characters no record names: say where it was looked for, as the search does.
      const hint = await commitHint(filter, manifest.count, (commit) => ports.audit.commitKnown(commit));
      if (hint) return c.json(badRequest(`nothing to export: ${hint}`), 400);
      const file = readFileSync(out);
      const part = c.req.query('part') === 'manifest';
      return part
        ? c.json({ ...manifest, file: `audit.${format}` })
        : c.body(file, 200, {
            'content-type': format === 'parquet' ? 'application/vnd.apache.parquet' : 'text/plain; charset=utf-8',
            'content-disposition': `attachment; filename="audit.${format}"`,
            'x-gantry-export-sha256': manifest.sha256,
          });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return app;
}

const ACTION_PATH = /^\/api\/runs\/([^/]+)\/(decision|cancel|retry|rollback)$/;

/** An action refused for want of a person is a fact for the auditor too (page and API reads are not). */
async function auditRefusedAction(
  ports: ConsolePorts,
  c: Context,
  base: string,
  who: ConsoleRefusal,
  code: string = who.code ?? 'not_signed_in',
): Promise<void> {
  const action = c.req.method === 'POST' ? ACTION_PATH.exec(c.req.path.slice(base.length)) : null;
  if (action === null || ports.refused === undefined) return;
  await ports.refused({
    runId: decoded(action[1] ?? ''),
    action: action[2] ?? '',
    principal: who.principal ?? 'unproven',
    code,
    message: who.refused,
  });
}

/** A path segment decoded, or as sent when its escapes are malformed (still a refusal to record). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Actions come from the console's own page: a POST whose Origin (when sent) is this host. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return c.req.header('sec-fetch-site') !== 'cross-site';
  try {
    return new URL(origin).host === c.req.header('host');
  } catch {
    return false;
  }
}

async function listRuns(ports: ConsolePorts, c: Context): Promise<RunRecord[]> {
  const q = (name: string) => c.req.query(name)?.trim() || undefined;
  const status = q('status')?.toUpperCase();
  const limit = Math.min(MAX_RUNS, Number(q('limit') ?? 200) || 200);
  const runs = await ports.runs.list({
    ...(q('pipeline') ? { pipeline: q('pipeline') } : {}),
    ...(status && RUN_STATUSES.includes(status as RunStatus) ? { status: status as RunStatus } : {}),
    limit,
  });
  const person = q('person')?.toLowerCase();
  return runs.filter(
    (r) =>
      (!q('environment') || r.environment === q('environment')) &&
      (!q('branch') || (r.branch ?? '').includes(q('branch') ?? '')) &&
      (!person || peopleOf(r).some((p) => p.includes(person))),
  );
}

function peopleOf(run: RunRecord): string[] {
  const { change } = run.plan;
  return [change.pusher, change.sender, change.authorEmail, ...Object.keys(run.approval?.decisions ?? {})]
    .filter((p): p is string => typeof p === 'string')
    .map((p) => p.toLowerCase());
}

/** What the runs list shows of a run: small, and never a token. */
function summaryOf(run: RunRecord) {
  return {
    runId: run.runId,
    pipeline: run.pipeline,
    environment: run.environment,
    branch: run.branch,
    commit: run.commit,
    status: run.status,
    trigger: run.trigger,
    createdAt: run.createdAt,
    endedAt: run.endedAt ?? null,
    waiting: run.approval !== undefined && run.approval.outcome === undefined && run.status === 'RUNNING',
    people: peopleOf(run),
  };
}

async function runView(ports: ConsolePorts, runId: string, user: ConsoleUser, options: ConsoleOptions) {
  const run = await ports.runs.get(runId);
  if (run === undefined) return undefined;
  const graph = await graphOf(ports, run);
  return {
    run: publicRun(run),
    graph,
    actions: await actionsFor(ports, run, user.principal),
    links: awsLinks(run, options),
    version: versionOf(run, graph),
  };
}

async function graphOf(ports: ConsolePorts, run: RunRecord): Promise<GraphNode[]> {
  try {
    return stageGraph(await ports.executions.definition(run.executionArn), run);
  } catch {
    return [];
  }
}

function awsLinks(run: RunRecord, options: ConsoleOptions) {
  if (!options.awsConsole) return {};
  const region = options.awsConsole.region;
  const host = `https://${region}.console.aws.amazon.com`;
  return {
    execution: `${host}/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(run.executionArn)}`,
    ...(run.build
      ? {
          build: `${host}/codesuite/codebuild/projects/${encodeURIComponent(run.build.id.split(':')[0] ?? '')}/build/${encodeURIComponent(run.build.id)}/?region=${region}`,
        }
      : {}),
  };
}

/**
 * The filters of `gantry audit query` in a request's query, or the refusal that says which bound to
 * fix. With no `from`, a search that no run or whole commit narrows reads the DEFAULT_AUDIT_DAYS up
 * to `to` (or today), not the whole ledger or a repository's whole chain: the filter says so (an
 * export's manifest records it) and `defaultFrom` tells the page to show it. A read by day is
 * refused past MAX_DAY_READS days, and a repository's past a quarter (read by its own index, but a
 * busy repository's year would outlast the deadline).
 */
async function auditFilter(
  c: Context,
  ports: ConsolePorts,
): Promise<{ filter: AuditFilter; defaultFrom?: string } | ConsoleError> {
  const names = ['repository', 'from', 'to', 'type', 'actor', 'commit', 'runId', 'environment', 'pipeline'] as const;
  const given: Record<string, string> = {};
  for (const name of names) {
    const value = c.req.query(name)?.trim();
    if (value) given[name] = value;
  }
  let filter = given as AuditFilter;
  let defaultFrom: string | undefined;
  try {
    const { to } = auditPeriod(filter);
    if (filter.from === undefined && readPlanOf(filter).by !== 'index') {
      // Up to `to`, or today if `to` is later: the days after today hold nothing yet.
      const end = Math.min(to ? Date.parse(to) : Date.now(), Date.now());
      // Not before year 0: a bound is four digits of year.
      const start = Math.max(startOfDay(end) - (DEFAULT_AUDIT_DAYS - 1) * DAY, YEAR_ZERO);
      defaultFrom = new Date(start).toISOString().slice(0, 10);
      filter = { ...filter, from: defaultFrom };
    }
    let plan = readPlanOf(filter);
    // 40 characters the index knows are read there, whatever the period: no prefix is looked for.
    if (plan.by !== 'index' && filter.commit?.length === 40 && (await ports.audit.commitKnown(filter.commit)))
      plan = { by: 'index' };
    // Read day by day, or a busy repository's events over many months, a long period would outlast the function's (and API Gateway's 29 s) deadline.
    if (plan.by === 'repository' && plan.days > REPOSITORY_DAYS_MS / DAY)
      return badRequest(
        `a repository's period is read here up to ${REPOSITORY_DAYS_MS / DAY} days: choose a later from or an earlier to, or a run (gantry audit export reads longer periods)`,
      );
    if (plan.by === 'days' && plan.days > MAX_DAY_READS)
      return badRequest(
        `the period spans ${plan.days} days and nothing narrows it: choose at most ${MAX_DAY_READS} days (a repository, at most ${REPOSITORY_DAYS_MS / DAY}), or a run or full commit (gantry audit export reads longer periods)`,
      );
  } catch (error) {
    if (error instanceof RangeError) return badRequest(error.message);
    throw error;
  }
  return defaultFrom ? { filter, defaultFrom } : { filter };
}

type ConsoleError = { error: { code: 'bad_request'; message: string } };

function badRequest(message: string): ConsoleError {
  return { error: { code: 'bad_request', message } };
}

/** The proxy event the operator API's use cases answer, as the signed-in person (a rollback names its run in the body). */
function operatorEvent(
  action: 'decision' | 'cancel' | 'retry' | 'rollback',
  runId: string,
  body: string,
  principal: string,
): APIGatewayProxyEvent {
  const rollback = action === 'rollback';
  return {
    resource: rollback ? '/rollbacks' : `/runs/{runId}/${action}`,
    path: rollback ? '/rollbacks' : `/runs/${encodeURIComponent(runId)}/${action}`,
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: rollback ? null : { runId },
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: { identity: { userArn: principal } } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

function refusedPage(reason: string): string {
  const text = reason.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gantry console: not signed in</title></head><body><main><h1>Not signed in</h1><p>${text}</p></main></body></html>`;
}
