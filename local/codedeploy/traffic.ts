import { Agent, get } from 'node:http';

/** Steady requests while a deployment shifts, like a CloudWatch Synthetics canary. */
export interface SyntheticTrafficOptions {
  /** @default 20 */
  readonly ratePerSecond?: number;
  /** @default '/hello' */
  readonly path?: string;
}

export interface TrafficCounts {
  sent: number;
  /** Answers by status code. */
  readonly statuses: Record<string, number>;
  /** Requests that got no answer at all (refused, reset). */
  connectionErrors: number;
}

const TICK_MS = 10;

/**
 * Sends GET `path` to a stable URL at a steady rate, so the alarms have data to judge a
 * deployment on even when nobody else calls the service.
 */
export class SyntheticTraffic {
  readonly counts: TrafficCounts = { sent: 0, statuses: {}, connectionErrors: 0 };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly timer: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly started = performance.now();

  constructor(
    private readonly url: string,
    private readonly options: SyntheticTrafficOptions = {},
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(TICK_MS, Math.min(1000 / this.rate, 100)));
    this.tick();
  }

  private get rate(): number {
    return this.options.ratePerSecond ?? 20;
  }

  /** Stops sending and waits for the answers still due. */
  async stop(): Promise<TrafficCounts> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    this.agent.destroy();
    return this.counts;
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) * this.rate) / 1000) + 1;
    while (this.counts.sent < due) this.send();
  }

  private send(): void {
    this.counts.sent++;
    const target = new URL(this.options.path ?? '/hello', this.url);
    const request = new Promise<void>((resolve) => {
      let settled = false;
      /** Counted once: the answer's status when it arrived whole, else a connection error. */
      const settle = (status?: string) => {
        if (settled) return;
        settled = true;
        if (status === undefined) this.counts.connectionErrors++;
        else this.counts.statuses[status] = (this.counts.statuses[status] ?? 0) + 1;
        resolve();
      };
      const req = get(target, { agent: this.agent, headers: { 'user-agent': 'gantry-synthetic-canary' } }, (res) => {
        res.resume();
        res.on('end', () => settle(String(res.statusCode)));
        // An answer cut off after its headers ends in 'close' (and 'error') without 'end'.
        res.on('error', () => settle());
        res.on('close', () => settle());
      });
      req.on('error', () => settle());
    });
    this.inFlight.add(request);
    void request.then(() => this.inFlight.delete(request));
  }
}
