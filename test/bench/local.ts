import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { CannonResult } from './loadgen';
import { LoadGenerator } from './loadgen-client';
import {
  type BenchPlane,
  describeExecution,
  IDLE_BRANCH,
  pipelineExecutionArn,
  pushDelivery,
  RUN_BRANCH,
  runIdOf,
  startBenchPlane,
  until,
} from './plane';
import { fmt, median, medianStats, percentile, type RunStats, table } from './stats';

export interface LocalBenchOptions {
  readonly rounds: number;
  /** Seconds of each autocannon run. */
  readonly durationSec: number;
  readonly connections: readonly number[];
  /** Also at these connection counts: deliveries naming `spreadRepositories` repositories in turn rather than one. */
  readonly spreadConnections: readonly number[];
  readonly spreadRepositories: number;
  /** Deliveries that start a run, sent one at a time, for request → state machine start. */
  readonly samples: number;
}

/** The ceiling: a node:http server that reads the body and answers 202, in the runtime's process. */
async function startPlainServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/github`, server };
}

function statsOf(r: CannonResult): RunStats {
  return { perSecond: (r.accepted / r.elapsedMs) * 1000, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
}

/** Answers other than 202, errors and timeouts over every run: all should be zero. */
function anomalies(results: readonly CannonResult[]): string[] {
  const counts: Record<string, number> = {};
  for (const r of results) {
    for (const [status, n] of Object.entries(r.statuses))
      if (status !== '202') counts[status] = (counts[status] ?? 0) + n;
    if (r.errors > 0) counts.errors = (counts.errors ?? 0) + r.errors;
    if (r.timeouts > 0) counts.timeouts = (counts.timeouts ?? 0) + r.timeouts;
  }
  return Object.entries(counts).map(([k, n]) => `${fmt(n)} × ${k}`);
}

interface StartSample {
  readonly answerMs: number;
  readonly admissionMs: number;
  readonly pipelineMs: number;
}

/**
 * One delivery a rule matches, on an otherwise idle plane: from the load generator's send time
 * to the 202, to the Express admission execution's startDate, and to the Standard pipeline
 * execution's startDate. Waits for the run to end before returning, so the next sample is idle too.
 */
async function startSample(bench: BenchPlane, load: LoadGenerator, seen: Set<string>): Promise<StartSample> {
  const repo = bench.repos[0];
  const admission = bench.plane.inventory.stateMachines.find((s) => s.type === 'EXPRESS');
  if (repo === undefined || admission === undefined) throw new Error('no pipeline or admission state machine');
  const sent = await load.send(bench.webhookUrl, pushDelivery(bench, repo, RUN_BRANCH, `start-${Date.now()}`));
  if (sent.status !== 202) throw new Error(`a matching delivery was answered ${sent.status}`);
  const pipeline = await until('the pipeline execution', () =>
    describeExecution(bench, pipelineExecutionArn(bench, repo.pipeline, sent.deliveryId)),
  );
  const admitted = await until('the admission execution', async () => {
    const listed = await bench.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: admission.arn, maxResults: 1000 }),
    );
    for (const e of listed.executions ?? []) {
      if (e.executionArn === undefined || seen.has(e.executionArn)) continue;
      const described = await bench.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      if (!described.input?.includes(`"deliveryId":"${sent.deliveryId}"`)) continue;
      seen.add(e.executionArn);
      return described;
    }
    return undefined;
  });
  const run = await until(
    'the run to end',
    async () => {
      const record = await bench.runs.get(runIdOf(repo.pipeline, sent.deliveryId));
      return record && !['QUEUED', 'RUNNING'].includes(record.status) ? record : undefined;
    },
    60_000,
    25,
  );
  if (run.status !== 'SUCCEEDED') throw new Error(`the run ended ${run.status}: ${JSON.stringify(run.failure)}`);
  const ms = (d: Date | undefined) => (d?.getTime() ?? Number.NaN) - sent.sentAt;
  return { answerMs: sent.rttMs, admissionMs: ms(admitted.startDate), pipelineMs: ms(pipeline.startDate) };
}

interface Case {
  readonly connections: number;
  readonly repositories: number;
  readonly gantry: CannonResult[];
}

/**
 * `npm run bench -- local`: the local control plane's webhook front door over HTTP on loopback,
 * loaded by autocannon from a second process, against a bare node:http server answering 202.
 */
export async function benchLocal(options: LocalBenchOptions): Promise<string> {
  const [load, bench, plain] = await Promise.all([LoadGenerator.start(), startBenchPlane(1), startPlainServer()]);
  try {
    const repo = bench.repos[0];
    if (repo === undefined) throw new Error('no pipeline');
    const spread = Array.from({ length: options.spreadRepositories }, (_, i) => `bench/spread-${i}`);
    let round = 0;
    const gantry = (connections: number, durationSec: number, repositories = 1) =>
      load.cannon({
        url: bench.webhookUrl,
        connections,
        durationSec,
        delivery: pushDelivery(
          bench,
          repo,
          IDLE_BRANCH,
          `load-${++round}`,
          repositories === 1 ? [repo.repository] : spread,
        ),
      });
    const ceiling = (connections: number, durationSec: number) =>
      load.cannon({
        url: plain.url,
        connections,
        durationSec,
        delivery: pushDelivery(bench, repo, IDLE_BRANCH, `plain-${++round}`),
      });

    await gantry(10, 3);
    await ceiling(10, 1);
    await bench.plane.bus.settled();
    process.stderr.write('.');
    const cases: Case[] = [
      ...options.connections.map((connections) => ({ connections, repositories: 1, gantry: [] })),
      ...options.spreadConnections.map((connections) => ({
        connections,
        repositories: options.spreadRepositories,
        gantry: [],
      })),
    ];
    const plainRuns = new Map(options.connections.map((c) => [c, [] as CannonResult[]]));
    for (let r = 0; r < options.rounds; r++) {
      for (const c of cases) {
        c.gantry.push(await gantry(c.connections, options.durationSec, c.repositories));
        await bench.plane.bus.settled();
        process.stderr.write('.');
      }
      for (const [connections, runs] of plainRuns) runs.push(await ceiling(connections, options.durationSec));
    }

    const seen = new Set<string>();
    // A warm-up run first; `samples: 0` measures the load alone (`npm run bench -- local --load-only`).
    if (options.samples > 0) await startSample(bench, load, seen);
    const samples: StartSample[] = [];
    for (let i = 0; i < options.samples; i++) {
      samples.push(await startSample(bench, load, seen));
      if (i % 5 === 4) process.stderr.write('.');
    }
    process.stderr.write('\n');

    const ceilings = new Map([...plainRuns].map(([c, runs]) => [c, medianStats(runs.map(statsOf))]));
    const rows = cases.map((c) => ({ ...c, g: medianStats(c.gantry.map(statsOf)), p: ceilings.get(c.connections) }));
    const at10 = rows.find((r) => r.connections === 10 && r.repositories === 1)?.g;
    const odd = anomalies(cases.flatMap((c) => c.gantry));
    const oddPlain = anomalies([...plainRuns.values()].flat());
    const sampleRow = (what: string, values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return [
        what,
        fmt(percentile(sorted, 50), 1),
        fmt(percentile(sorted, 99), 1),
        fmt(sorted.at(-1) ?? Number.NaN, 1),
      ];
    };
    const met10 = at10 !== undefined && at10.perSecond >= 1000 && at10.p99Ms < 50;
    const size = Buffer.byteLength(pushDelivery(bench, repo, IDLE_BRANCH, 'x').bodies[0] ?? '') / 1024;
    return [
      `Signed GitHub push deliveries (~${fmt(size, 1)} KB, each with its own X-GitHub-Delivery and body, HMAC-SHA256 with the ` +
        "connection's secret from the data folder's secrets.json) sent over loopback by autocannon from a second process; " +
        `${options.durationSec}-second runs, medians of ${options.rounds} rounds; ${availableParallelism()} cores shared by the runtime ` +
        '(all of local mode in one process, the receiver in its worker thread) and the load generator. ' +
        `The pushes are to \`${IDLE_BRANCH}\`, which no trigger selects: the receiver verifies, dedupes (DynamoDB), normalizes, ` +
        'publishes (EventBridge) and audits, and the bus matches no rule. "repositories": how many repositories the deliveries name in turn.',
      '',
      table(
        [
          'connections',
          'repositories',
          'Gantry deliveries/s',
          'p50 ms',
          'p99 ms',
          'node:http 202 deliveries/s',
          'p50 ms',
          'p99 ms',
          'Gantry / node:http',
        ],
        rows.map(({ connections, repositories, g, p }) => [
          connections,
          repositories,
          fmt(g.perSecond),
          fmt(g.p50Ms, 2),
          fmt(g.p99Ms, 2),
          fmt(p?.perSecond ?? Number.NaN),
          fmt(p?.p50Ms ?? Number.NaN, 2),
          fmt(p?.p99Ms ?? Number.NaN, 2),
          `${fmt((g.perSecond / (p?.perSecond ?? Number.NaN)) * 100, 1)}%`,
        ]),
      ),
      '',
      `Answers other than 202: Gantry ${odd.length === 0 ? 'none' : odd.join(', ')}; node:http ${oddPlain.length === 0 ? 'none' : oddPlain.join(', ')}.`,
      '',
      `Request → state machine start: ${options.samples} pushes to \`${RUN_BRANCH}\`, which a rule matches, one at a time on an otherwise idle plane ` +
        "(each run of the no-op build ends before the next push). The load generator's Date.now() just before sending, against the executions' " +
        'startDate (DescribeExecution through the local AWS edge); the rule targets the Express admission state machine, which starts the ' +
        'Standard pipeline one.',
      '',
      table(
        ['from the request to', 'p50 ms', `p99 ms (of ${options.samples})`, 'max ms'],
        [
          sampleRow(
            'the 202 answer',
            samples.map((s) => s.answerMs),
          ),
          sampleRow(
            'admission (Express) execution start',
            samples.map((s) => s.admissionMs),
          ),
          sampleRow(
            'pipeline (Standard) execution start',
            samples.map((s) => s.pipelineMs),
          ),
        ],
      ),
      '',
      `Target ≥ 1,000 signed deliveries/s and p99 < 50 ms at 10 connections (one repository): ${met10 ? 'met' : 'NOT met'} ` +
        `(${fmt(at10?.perSecond ?? Number.NaN)}/s, p99 ${fmt(at10?.p99Ms ?? Number.NaN, 1)} ms). ` +
        `Median admission → pipeline start: ${fmt(median(samples.map((s) => s.pipelineMs - s.admissionMs)), 1)} ms.`,
    ].join('\n');
  } finally {
    await load.stop();
    await new Promise((resolve) => plain.server.close(resolve));
    await bench.close();
  }
}
