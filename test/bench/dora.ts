import type { AuditEvent } from '../../events';
import { computeDora } from '../../shared/metrics/dora';
import { fmt, median, table } from './stats';

const HOUR = 3_600_000;

/**
 * `npm run bench -- dora`: DORA metrics over a generated ledger of `events` records (20 pipelines ×
 * 3 environments; every run a delivery, a start, a build, gates, a deployment and an end; one in
 * ten rolled back, one in twenty-five rolled back by an operator, one in twenty a hotfix), in
 * memory: the computation, not the ledger read (see the audit benchmark for read throughput).
 */
export async function benchDora(options: { rounds: number; events: number }): Promise<string> {
  const events = generate(options.events);
  const from = new Date(Date.parse(events[0]?.time ?? '') + 30 * 24 * HOUR);
  const to = new Date(Date.parse(events.at(-1)?.time ?? ''));
  const times: number[] = [];
  let heap = 0;
  let deployments = 0;
  for (let round = 0; round < options.rounds; round++) {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const report = computeDora(events, { from, to });
    times.push(performance.now() - started);
    heap = Math.max(heap, process.memoryUsage().heapUsed - before);
    deployments = report.changeFailureRate.deployments;
    process.stderr.write('.');
  }
  return table(
    ['ledger events', 'deployments counted', 'groups', 'compute median', 'events/s', 'heap growth'],
    [
      [
        fmt(events.length),
        fmt(deployments),
        60,
        `${fmt(median(times) / 1000, 2)} s`,
        fmt(events.length / (median(times) / 1000)),
        `${fmt(heap / 1024 / 1024)} MB`,
      ],
    ],
  );
}

function generate(count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let t = Date.parse('2026-01-01T00:00:00Z');
  let n = 0;
  const add = (
    type: string,
    at: number,
    runId: string | null,
    env: string | null,
    pipeline: string | null,
    details: object,
  ) =>
    events.push({
      id: `e${++n}`,
      type,
      time: new Date(at).toISOString(),
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: { repository: `acme/${pipeline ?? 'x'}`, commit: null, runId, environment: env, pipeline },
      outcome: 'info',
      details,
      correlationId: `c${n}`,
    } as unknown as AuditEvent);
  for (let run = 0; events.length < count; run++) {
    t += 5 * 60_000;
    const pipeline = `p${run % 20}`;
    const env = ['dev', 'staging', 'prod'][Math.floor(run / 20) % 3] ?? 'dev';
    const runId = `r${run}`;
    const delivery = `d${run}`;
    const rollback = run % 25 === 24;
    add('webhook.accepted', t, null, null, pipeline, {
      deliveryId: delivery,
      eventName: 'push',
      events: [],
      commits: [{ id: 'c', message: 'm', author: 'a', timestamp: new Date(t - 2 * HOUR).toISOString() }],
      deadLettered: false,
    });
    add('run.started', t, runId, env, pipeline, {
      trigger: rollback ? 'rollback' : 'push',
      branch: run % 20 === 7 ? 'hotfix/x' : 'main',
      pullRequest: null,
      deliveryId: delivery,
      queued: false,
    });
    add('build.finished', t + 60_000, runId, env, pipeline, { buildId: 'b', status: 'SUCCEEDED' });
    add('gate.evaluated', t + 90_000, runId, env, pipeline, { passed: true });
    add('deploy.started', t + 120_000, runId, env, pipeline, { deploymentId: 'd', target: 't', strategy: 's' });
    if (run % 10 === 3) {
      add('deploy.rolled_back', t + 180_000, runId, env, pipeline, { deploymentId: 'd', target: 't', reason: 'alarm' });
      add('run.failed', t + 181_000, runId, env, pipeline, { stage: 'deploy', error: 'x', reason: 'alarm' });
    } else {
      add('deploy.succeeded', t + 180_000, runId, env, pipeline, { deploymentId: 'd', target: 't' });
      add('run.succeeded', t + 181_000, runId, env, pipeline, { deployed: true });
    }
  }
  return events.slice(0, count);
}
