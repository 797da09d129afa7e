import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { consoleApp } from '../../shared/console/app';
import { LocalConsoleSessions } from '../../shared/console/session';
import type { RunRecord } from '../../shared/runs/model';
import { launchChromium } from '../browser/chromium';
import { fmt, median, table } from './stats';

const ASL = JSON.stringify({
  StartAt: 'ResolvePlan',
  States: {
    ResolvePlan: { Type: 'Task', Next: 'Build' },
    Build: { Type: 'Task', Next: 'EvaluateGates', Catch: [{ Next: 'Failed build' }] },
    EvaluateGates: { Type: 'Task', Next: 'Deploy', Catch: [{ Next: 'Failed gates' }] },
    Deploy: { Type: 'Task', Next: 'Succeeded', Catch: [{ Next: 'Failed deploy' }] },
    Succeeded: { Type: 'Succeed' },
    'Failed build': { Type: 'Fail' },
    'Failed gates': { Type: 'Fail' },
    'Failed deploy': { Type: 'Fail' },
  },
});

/**
 * `npm run bench -- console`: the console served as local mode serves it (its hono app on
 * node:http) over `runs` runs held in memory (the console and the browser are measured, not
 * DynamoDB), driven by Debian's chromium: the runs page until its table is painted, and how long
 * a run page takes to show a state change the server sees.
 */
export async function benchConsole(options: { rounds: number; runs: number }): Promise<string> {
  const runs = Array.from({ length: options.runs }, (_, i) => fakeRun(i));
  const sessions = new LocalConsoleSessions(
    [{ identity: 'alice', principal: 'arn:aws:iam::000000000000:user/alice' }],
    '/console',
  );
  const app = consoleApp({
    base: '/console',
    identity: sessions,
    ports: {
      runs: {
        list: async (q) => runs.slice(0, q.limit ?? 50),
        get: async (id) => runs.find((r) => r.runId === id),
      },
      audit: {
        query: async function* () {},
        head: async () => undefined,
        commitKnown: async () => false,
        chains: async () => [],
        countInChain: async () => 0,
      },
      ledger: {
        verify: () => Promise.reject(new Error('no ledger here')),
        dossier: () => Promise.reject(new Error('no ledger here')),
      },
      executions: { definition: async () => ASL },
      logs: { read: async () => ({ lines: [], next: 0 }) },
      pipelines: { definitionOf: async () => Promise.reject(new Error('not deployed in the benchmark')) },
      operator: async () => ({ statusCode: 503, body: '{}' }),
    },
  });
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console`;
  const chrome = await launchChromium();
  const paint: number[] = [];
  const paintAll: number[] = [];
  const change: number[] = [];
  try {
    const page = await chrome.context.newPage();
    await page.goto(`${base}/?code=${sessions.code}`);
    for (let round = 0; round < options.rounds; round++) {
      // The page as it opens (the newest 200 of them), then asked for every run at once.
      const started = performance.now();
      await page.goto(`${base}/?round=${round}`);
      await page.locator('tr[data-run]').first().waitFor();
      paint.push(performance.now() - started);
      const all = performance.now();
      await page.goto(`${base}/?limit=${options.runs}&round=${round}`);
      await page.locator(`tr[data-run="${runs.at(-1)?.runId}"]`).waitFor();
      paintAll.push(performance.now() - all);
      const run = runs[0] as RunRecord & { updatedAt: string };
      await page.goto(`${base}/runs/${run.runId}`);
      await page.locator('[data-state="Build"]').waitFor();
      const before = performance.now();
      const at = new Date().toISOString();
      run.stages.build = { status: round % 2 === 0 ? 'running' : 'succeeded', startedAt: at };
      (run as { updatedAt: string }).updatedAt = at;
      await page.locator(`[data-state="Build"][data-status="${round % 2 === 0 ? 'running' : 'succeeded'}"]`).waitFor();
      change.push(performance.now() - before);
      process.stderr.write('.');
    }
  } finally {
    await chrome.close();
    server.close();
  }
  return table(
    [
      'runs',
      'runs page painted (median)',
      'worst',
      `all ${fmt(options.runs)} rows painted (median)`,
      'run page shows a change (median)',
      'worst',
      'targets',
    ],
    [
      [
        fmt(options.runs),
        `${fmt(median(paint))} ms`,
        `${fmt(Math.max(...paint))} ms`,
        `${fmt(median(paintAll))} ms`,
        `${fmt(median(change))} ms`,
        `${fmt(Math.max(...change))} ms`,
        'page < 1000 ms, change < 500 ms',
      ],
    ],
  );
}

function fakeRun(i: number): RunRecord {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  return {
    kind: 'run',
    runId: `run-${String(i).padStart(6, '0')}`,
    pipeline: `service-${i % 20}`,
    trigger: 'push',
    repository: 'acme/service',
    commit: i.toString(16).padStart(40, '0'),
    branch: 'main',
    environment: 'staging',
    lane: `service-${i % 20}#staging`,
    status: i % 7 === 0 ? 'RUNNING' : 'SUCCEEDED',
    createdAt: at,
    updatedAt: at,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:gantry-pipeline-service:run-${i}`,
    plan: { change: { pusher: 'dana', sender: 'dana', authorEmail: 'dana@example.com' } },
    stages: {},
  } as unknown as RunRecord;
}
