/**
 * The load generator of `npm run bench -- local`, in a process of its own (forked by the bench),
 * so the HTTP client never shares an event loop or a core's time slice with the runtime it
 * measures. It takes jobs over IPC and answers each with what it measured.
 */
import autocannon from 'autocannon';
import { adapterFor } from '../../shared/webhooks/normalize';
import { percentile } from './stats';

/** Signed GitHub push deliveries: each body holds `COUNTER` where each request puts its own number; requests take the bodies in turn. */
export interface DeliverySpec {
  readonly secret: string;
  readonly bodies: readonly string[];
  /** Each request's X-GitHub-Delivery is this prefix and the request's number. */
  readonly idPrefix: string;
}

export const COUNTER = '@@N@@';

export type LoadJob =
  | {
      readonly kind: 'cannon';
      readonly id: number;
      readonly url: string;
      readonly connections: number;
      readonly durationSec: number;
      readonly delivery: DeliverySpec;
    }
  | { readonly kind: 'send'; readonly id: number; readonly url: string; readonly delivery: DeliverySpec };

export interface CannonResult {
  readonly kind: 'cannon';
  readonly id: number;
  /** Answers with 202. */
  readonly accepted: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly elapsedMs: number;
  /** Request → 202, over the 202 answers. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface SendResult {
  readonly kind: 'send';
  readonly id: number;
  readonly deliveryId: string;
  readonly status: number;
  /** Epoch milliseconds (Date.now(), the clock the runtime stamps executions with) just before the request was sent. */
  readonly sentAt: number;
  /** Request → answer, from the monotonic clock. */
  readonly rttMs: number;
}

export type LoadResult = CannonResult | SendResult | { readonly kind: 'error'; readonly id: number; message: string };

const github = adapterFor('github');
let sequence = 0;

/** The next delivery of `spec`: its own number in the body and the delivery id, signed with the connection's secret. */
function nextDelivery(spec: DeliverySpec): { deliveryId: string; headers: Record<string, string>; body: Buffer } {
  const n = ++sequence;
  const deliveryId = `${spec.idPrefix}-${n}`;
  const body = Buffer.from((spec.bodies[n % spec.bodies.length] ?? '').replace(COUNTER, String(n)));
  const headers = github.deliveryHeaders({ body, secret: spec.secret, eventName: 'push', deliveryId });
  return { deliveryId, body, headers: { 'content-type': 'application/json', ...headers } };
}

function cannon(job: Extract<LoadJob, { kind: 'cannon' }>): Promise<CannonResult> {
  const latencies: number[] = [];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationSec,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const { headers, body } = nextDelivery(job.delivery);
              return { ...request, method: 'POST', headers, body };
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const elapsedMs = performance.now() - started;
        latencies.sort((a, b) => a - b);
        const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count]));
        resolve({
          kind: 'cannon',
          id: job.id,
          accepted: statuses['202'] ?? 0,
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          elapsedMs,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === 202) latencies.push(ms);
    });
  });
}

async function send(job: Extract<LoadJob, { kind: 'send' }>): Promise<SendResult> {
  const { deliveryId, headers, body } = nextDelivery(job.delivery);
  const sentAt = Date.now();
  const t0 = performance.now();
  const res = await fetch(job.url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return { kind: 'send', id: job.id, deliveryId, status: res.status, sentAt, rttMs: performance.now() - t0 };
}

process.on('message', (job: LoadJob) => {
  const run = job.kind === 'cannon' ? cannon(job) : send(job);
  run.then(
    (result) => process.send?.(result),
    (error: unknown) =>
      process.send?.({ kind: 'error', id: job.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ kind: 'ready' });
