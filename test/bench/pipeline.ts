import { GetExecutionHistoryCommand, type HistoryEvent, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '../../shared/runs/model';
import { LoadGenerator } from './loadgen-client';
import {
  type BenchPlane,
  type BenchRepo,
  describeExecution,
  pipelineExecutionArn,
  pushDelivery,
  RUN_BRANCH,
  runIdOf,
  startBenchPlane,
  until,
} from './plane';
import { fmt, median, table } from './stats';

export interface PipelineBenchOptions {
  /** Runs one after another on an idle plane, for the per-run overhead and the state transitions. */
  readonly idleRuns: number;
  /** Pipelines running at once, each one run after another. */
  readonly pipelines: number;
  /** Runs of each pipeline per round. */
  readonly runsEach: number;
  readonly rounds: number;
}

/** Standard workflows, us-east-1: $0.025 per 1,000 state transitions. */
const STANDARD_PER_TRANSITION = 0.025 / 1000;
/** Express workflows, us-east-1: $1.00 per million requests, $0.00001667 per GB-second (first tier), 64 MB chunks, 100 ms increments. */
const EXPRESS_PER_REQUEST = 1 / 1_000_000;
const EXPRESS_PER_GB_SECOND = 0.00001667;
/** CodePipeline V2: $0.002 per action execution minute, each action rounded up to a whole minute (manual approval not charged). */
const CODEPIPELINE_V2_PER_ACTION_MINUTE = 0.002;

/** One run's timeline, in epoch milliseconds, from the records the local runtime keeps. */
interface Timeline {
  readonly sent: number;
  /** The receiver's claim of the delivery (deliveries table, `claimedAt`). */
  readonly received: number;
  /** The Standard pipeline execution's startDate. */
  readonly executionStarted: number;
  /** CodeBuild's startTime and endTime, as the run record keeps them (stages.build). */
  readonly buildStarted: number;
  readonly buildEnded: number;
  /** The run record's endedAt: ReportSuccess's last write. */
  readonly closed: number;
  /** The execution's stopDate. */
  readonly executionEnded: number;
  readonly transitions: number;
  /** Each state's time in the execution, StateEntered → StateExited, by state name. */
  readonly states: ReadonlyMap<string, number>;
}

interface Sent {
  readonly repo: BenchRepo;
  readonly deliveryId: string;
  readonly sentAt: number;
}

let pushes = 0;

async function push(bench: BenchPlane, load: LoadGenerator, repo: BenchRepo): Promise<Sent> {
  const sent = await load.send(bench.webhookUrl, pushDelivery(bench, repo, RUN_BRANCH, `run-${++pushes}`));
  if (sent.status !== 202) throw new Error(`push answered ${sent.status}`);
  return { repo, deliveryId: sent.deliveryId, sentAt: sent.sentAt };
}

async function endedRun(bench: BenchPlane, pipeline: string, deliveryId: string, everyMs = 20): Promise<RunRecord> {
  const run = await until(
    'the run to end',
    async () => {
      const record = await bench.runs.get(runIdOf(pipeline, deliveryId));
      return record && !['QUEUED', 'RUNNING'].includes(record.status) ? record : undefined;
    },
    120_000,
    everyMs,
  );
  if (run.status !== 'SUCCEEDED')
    throw new Error(`run ${run.runId} ended ${run.status}: ${JSON.stringify(run.failure)}`);
  return run;
}

async function history(bench: BenchPlane, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await bench.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Every state entered counts as one transition on a Standard workflow's bill (Step Functions pricing). */
export function stateTransitions(events: readonly HistoryEvent[]): number {
  return events.filter((e) => e.type?.endsWith('StateEntered')).length;
}

/** StateEntered → StateExited of each state, in milliseconds (a state entered twice adds up). */
export function stateDurations(events: readonly HistoryEvent[]): Map<string, number> {
  const entered = new Map<string, number>();
  const durations = new Map<string, number>();
  for (const e of events) {
    const at = e.timestamp?.getTime() ?? Number.NaN;
    if (e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name) {
      entered.set(e.stateEnteredEventDetails.name, at);
    } else if (e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name) {
      const name = e.stateExitedEventDetails.name;
      durations.set(name, (durations.get(name) ?? 0) + at - (entered.get(name) ?? at));
    }
  }
  return durations;
}

async function timeline(bench: BenchPlane, sent: Sent): Promise<Timeline> {
  const run = await endedRun(bench, sent.repo.pipeline, sent.deliveryId);
  const executionArn = pipelineExecutionArn(bench, sent.repo.pipeline, sent.deliveryId);
  const execution = await until('the execution to end', async () => {
    const described = await describeExecution(bench, executionArn);
    return described?.stopDate ? described : undefined;
  });
  const delivery = await bench.deliveries.send(
    new GetCommand({ TableName: 'gantry-deliveries', Key: { pk: `github#${sent.deliveryId}` } }),
  );
  const build = run.stages.build;
  const at = (iso: string | undefined) => (iso === undefined ? Number.NaN : Date.parse(iso));
  const events = await history(bench, executionArn);
  return {
    sent: sent.sentAt,
    received: Number(delivery.Item?.claimedAt ?? Number.NaN),
    executionStarted: execution.startDate?.getTime() ?? Number.NaN,
    buildStarted: at(build?.startedAt),
    buildEnded: at(build?.endedAt),
    closed: at(run.endedAt),
    executionEnded: execution.stopDate?.getTime() ?? Number.NaN,
    transitions: stateTransitions(events),
    states: stateDurations(events),
  };
}

/**
 * Pushes to `repos` in a closed loop: each pipeline's next push goes when its previous run has
 * closed, so every pipeline has one run at a time and none waits its turn. The commit status
 * (recorded in memory by the fake provider) says when to start reading the run record: polling
 * the runs table from the start would load the plane it measures.
 */
async function concurrentRound(
  bench: BenchPlane,
  load: LoadGenerator,
  repos: readonly BenchRepo[],
  runsEach: number,
): Promise<{ sent: Sent[]; runsPerSecond: number }> {
  const reported = (repo: BenchRepo) =>
    bench.plane.providers
      .statuses()
      .filter((s) => s.repository === repo.repository && (s.state === 'success' || s.state === 'failure')).length;
  const sent: Sent[] = [];
  await Promise.all(
    repos.map(async (repo) => {
      for (let i = 0; i < runsEach; i++) {
        const before = reported(repo);
        const one = await push(bench, load, repo);
        sent.push(one);
        await until('the run to report', () => (reported(repo) > before ? true : undefined), 120_000, 5);
        await endedRun(bench, repo.pipeline, one.deliveryId, 5);
      }
    }),
  );
  const first = Math.min(...sent.map((s) => s.sentAt));
  const runs = await Promise.all(sent.map((s) => endedRun(bench, s.repo.pipeline, s.deliveryId)));
  const last = Math.max(...runs.map((r) => Date.parse(r.endedAt ?? '')));
  return { sent, runsPerSecond: (sent.length / (last - first)) * 1000 };
}

/** The admission execution of the last idle run: its states, and its duration as Express bills it. */
async function admissionFacts(bench: BenchPlane): Promise<{ transitions: number; billedMs: number; ms: number }> {
  const machine = bench.plane.inventory.stateMachines.find((s) => s.type === 'EXPRESS');
  if (machine === undefined) throw new Error('no admission state machine');
  const listed = await bench.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.arn, maxResults: 1000 }));
  const durations = (listed.executions ?? []).map((e) => (e.stopDate?.getTime() ?? 0) - (e.startDate?.getTime() ?? 0));
  const one = listed.executions?.[0]?.executionArn;
  const transitions = one === undefined ? Number.NaN : stateTransitions(await history(bench, one));
  const ms = median(durations);
  return { transitions, ms, billedMs: Math.max(100, Math.ceil(ms / 100) * 100) };
}

/**
 * `npm run bench -- pipeline`: runs of pipelines whose build does nothing, through the whole local
 * control plane, timed from the records it keeps: Gantry's overhead around the build, runs/s with
 * pipelines running at once, and the state transitions a run is billed for.
 */
export async function benchPipeline(options: PipelineBenchOptions): Promise<string> {
  const [load, bench] = await Promise.all([LoadGenerator.start(), startBenchPlane(options.pipelines)]);
  try {
    const repos = bench.repos;
    const first = repos[0];
    if (first === undefined) throw new Error('no pipeline');
    // Warm-up: every pipeline once, at once (each worker loads and JIT-compiles its handler's paths).
    await concurrentRound(bench, load, repos, 1);
    process.stderr.write('.');

    const idle: Timeline[] = [];
    for (let i = 0; i < options.idleRuns; i++) {
      idle.push(await timeline(bench, await push(bench, load, first)));
      if (i % 5 === 4) process.stderr.write('.');
    }
    const busy: Timeline[] = [];
    const rates: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const round = await concurrentRound(bench, load, repos, options.runsEach);
      rates.push(round.runsPerSecond);
      for (const s of round.sent) busy.push(await timeline(bench, s));
      process.stderr.write('.');
    }
    const admission = await admissionFacts(bench);
    process.stderr.write('\n');

    const segments: [string, (t: Timeline) => number][] = [
      ['delivery received → pipeline execution started', (t) => t.executionStarted - t.received],
      [
        'pipeline execution started → build started (ResolvePlan, choices, StartBuild)',
        (t) => t.buildStarted - t.executionStarted,
      ],
      ['**delivery received → build started**', (t) => t.buildStarted - t.received],
      ['build (CodeBuild emulator: clone, shell, `true`, upload; not overhead)', (t) => t.buildEnded - t.buildStarted],
      ['**build finished → run closed** (EvaluateGates, choices, ReportSuccess)', (t) => t.closed - t.buildEnded],
      ['run closed → execution ended', (t) => t.executionEnded - t.closed],
      [
        '**control-plane overhead per run** (the two in bold above)',
        (t) => t.buildStarted - t.received + (t.closed - t.buildEnded),
      ],
      ['request sent (load generator) → run closed', (t) => t.closed - t.sent],
    ];
    const med = (runs: readonly Timeline[], f: (t: Timeline) => number) => median(runs.map(f));
    const overhead = (runs: readonly Timeline[]) =>
      med(runs, (t) => t.buildStarted - t.received + (t.closed - t.buildEnded));
    const transitions = median(idle.map((t) => t.transitions));
    const allTransitions = new Set([...idle, ...busy].map((t) => t.transitions));
    const standardPer1000 = transitions * STANDARD_PER_TRANSITION * 1000;
    const expressPer1000 =
      (EXPRESS_PER_REQUEST + (64 / 1024) * (admission.billedMs / 1000) * EXPRESS_PER_GB_SECOND) * 1000;
    const actions: [string, number][] = [
      ['source', 1],
      ['build', 1],
      ['gates', 1],
      ['status', 1],
    ];
    const actionMinutes = actions.reduce((sum, [, m]) => sum + m, 0);
    const codePipelinePer1000 = actionMinutes * CODEPIPELINE_V2_PER_ACTION_MINUTE * 1000;
    const idleOverhead = overhead(idle);
    const stateNames = [...new Set(idle.flatMap((t) => [...t.states.keys()]))];
    const stateRows = stateNames.map((name) => [
      name,
      fmt(median(idle.map((t) => t.states.get(name) ?? Number.NaN)), 1),
      fmt(median(busy.map((t) => t.states.get(name) ?? Number.NaN)), 1),
    ]);
    return [
      `Pipelines over local git repositories whose buildspec runs \`true\`, with no gate that needs a report, in environment \`dev\` (no approval, ` +
        "Deploy is a Pass state). Times from what the local runtime records: the delivery's `claimedAt` (deliveries table), the Standard " +
        "execution's startDate/stopDate, CodeBuild's startTime/endTime as the run record keeps them (`stages.build`), and the run record's `endedAt`.",
      '',
      table(
        [
          'segment',
          `median ms, ${options.idleRuns} runs one at a time`,
          `median ms, ${options.pipelines} pipelines at once (${busy.length} runs)`,
        ],
        segments.map(([name, f]) => [name, fmt(med(idle, f), 1), fmt(med(busy, f), 1)]),
      ),
      '',
      'Where the pipeline execution spends it: each state, StateEntered → StateExited in GetExecutionHistory (millisecond timestamps).',
      '',
      table(
        [
          'state (each entry one billed transition)',
          'median ms, one at a time',
          `median ms, ${options.pipelines} at once`,
        ],
        stateRows,
      ),
      '',
      table(
        ['throughput', 'median of rounds', 'rounds'],
        [
          [
            `runs/s, ${options.pipelines} pipelines running at once (${options.runsEach} runs each, back to back), first push → last run closed`,
            fmt(median(rates), 2),
            rates.map((r) => fmt(r, 2)).join(', '),
          ],
        ],
      ),
      '',
      table(
        ['cost per successful run', 'count', '$ per 1,000 runs'],
        [
          [
            'Standard pipeline execution: state transitions (StateEntered events in GetExecutionHistory)',
            fmt(transitions),
            `$${fmt(standardPer1000, 3)}`,
          ],
          [
            `Express admission execution: ${fmt(admission.transitions)} state, one request, median ${fmt(admission.ms, 0)} ms billed as ${fmt(admission.billedMs)} ms at 64 MB (priced per request and GB-s, not per transition)`,
            '1 request',
            `$${fmt(expressPer1000, 4)}`,
          ],
          ['Gantry Step Functions total', '', `$${fmt(standardPer1000 + expressPer1000, 3)}`],
          [
            `CodePipeline V2, the same stages as actions (${actions.map(([a, m]) => `${a} ${m} min`).join(', ')})`,
            `${actionMinutes} action min`,
            `$${fmt(codePipelinePer1000, 2)}`,
          ],
        ],
      ),
      '',
      'Prices: us-east-1, Step Functions Standard $0.025 per 1,000 state transitions; Express $1.00 per million requests and $0.00001667 per GB-second ' +
        '(duration rounded up to 100 ms, memory in 64 MB chunks; the local duration stands in for the real one); CodePipeline V2 $0.002 per action ' +
        'execution minute, each action rounded up to a whole minute, manual approval not charged. CodePipeline assumptions: a source action ' +
        '(CodeConnections, GitHub), a CodeBuild build action, a Lambda invoke action for the gates and one posting the commit status, each done in ' +
        'well under a minute and so billed 1 minute; `dev` needs no approval. A real build of N minutes adds N action minutes there and nothing ' +
        'here (its CodeBuild minutes are billed the same on both sides). Free tiers, Lambda, DynamoDB and EventBridge are left out.',
      '',
      `Transitions per run seen: ${[...allTransitions].sort((a, b) => a - b).join(', ')}.`,
      '',
      `Targets: overhead < 100 ms per run locally: ${idleOverhead < 100 ? 'met' : 'NOT met'} (${fmt(idleOverhead, 1)} ms one at a time, ` +
        `${fmt(overhead(busy), 1)} ms with ${options.pipelines} at once); ≤ 25 state transitions for a build + gates + status run: ` +
        `${transitions <= 25 ? 'met' : 'NOT met'} (${fmt(transitions)}).`,
    ].join('\n');
  } finally {
    await load.stop();
    await bench.close();
  }
}
