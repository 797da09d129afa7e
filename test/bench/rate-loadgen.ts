/**
 * The constant-rate load of `npm run bench -- deploy`, in a process of its own (forked by the
 * bench), so the HTTP client never shares an event loop with the proxy and versions it measures.
 * Open loop: GET requests leave at evenly spaced instants whatever the answers do (autocannon's
 * rate limit sends each second's quota in a burst, which is not constant load), on keep-alive
 * connections; every answer's latency and status is kept.
 */
import { Agent, get } from 'node:http';
import { percentile } from './stats';

export interface RateJob {
  readonly id: number;
  readonly url: string;
  /** Requests per second. */
  readonly rate: number;
  readonly durationSec: number;
}

export interface RateResult {
  readonly kind: 'result';
  readonly id: number;
  readonly sent: number;
  readonly statuses: Record<string, number>;
  /** Requests that got no answer (refused, reset, timed out). */
  readonly errors: number;
  readonly answers: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const TIMEOUT_MS = 10_000;

async function run(job: RateJob): Promise<RateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const send = () => {
    const t0 = performance.now();
    const request = new Promise<void>((resolve) => {
      const req = get(job.url, { agent, timeout: TIMEOUT_MS }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
    inFlight.add(request);
    void request.then(() => inFlight.delete(request));
  };
  const total = Math.round(job.rate * job.durationSec);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * job.rate) / 1000) + 1);
    while (sent < due) {
      send();
      sent++;
    }
    const next = started + (sent * 1000) / job.rate;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  await Promise.all([...inFlight]);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    kind: 'result',
    id: job.id,
    sent,
    statuses,
    errors,
    answers: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

process.on('message', (job: RateJob) => {
  run(job).then(
    (result) => process.send?.(result),
    (error: unknown) =>
      process.send?.({ kind: 'error', id: job.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ kind: 'ready' });
