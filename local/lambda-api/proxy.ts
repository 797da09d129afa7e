import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { preciseNow } from '../cloudwatch/alarms';
import type { RequestMetrics } from '../cloudwatch/metrics';
import { loopbackRefusal } from '../edge/loopback';
import { closeServer, listen } from '../edge/server';

export interface AliasProxyOptions {
  readonly functionName: string;
  readonly alias: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The port of a version's process, started and health-checked first if need be; throws if it cannot be. */
  readonly backend: (version: string) => Promise<number>;
  readonly metrics: RequestMetrics;
}

interface Slot {
  readonly version: string;
  /** Per mille of requests. */
  readonly weight: number;
  current: number;
}

/** An answer, with when the request reached a running version (what its Duration counts from). */
type Forwarded = { readonly answer: IncomingMessage; readonly sent: number } | { readonly error: Error };

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

/**
 * The stable URL of one alias: an HTTP proxy that spreads requests over the alias's versions by
 * its routing weights (smooth weighted round robin, so 10% is every tenth request), adds
 * `x-gantry-version` and `x-gantry-color` (blue: the alias's version; green: the one traffic
 * shifts to), and records every answer for the alarms. A version whose connection fails is
 * retried on the other color, so a switch never shows a caller a connection error.
 *
 * An answer's duration counts from when the request reached a running version, as Lambda's
 * Duration metric counts the handler's time and leaves a cold start's initialization out (it is
 * the REPORT line's separate Init Duration). Starting a version's process on its first request
 * can take seconds on a busy machine; counted, it would read as a slow release and trip a p99
 * latency alarm (and roll back) that the same release in AWS would not.
 */
export class AliasProxy {
  private slots: Slot[] = [];
  private primary = '';
  private readonly active = new Map<string, number>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: AliasProxyOptions,
  ) {}

  static async start(options: AliasProxyOptions): Promise<AliasProxy> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    await listen(server, options.host, options.port);
    const { port } = server.address() as AddressInfo;
    const proxy = new AliasProxy(server, `http://${options.host}:${port}`, options);
    server.on('request', (req, res) => void proxy.handle(req, res));
    return proxy;
  }

  /** Routes as the alias says: `primary` takes what `additional` (version → 0–1) leaves. */
  route(primary: string, additional: Readonly<Record<string, number>>): void {
    const extra = Object.entries(additional).filter(([v, w]) => v !== primary && w > 0);
    const rest = 1000 - extra.reduce((sum, [, w]) => sum + Math.round(w * 1000), 0);
    this.primary = primary;
    this.slots = [
      { version: primary, weight: Math.max(0, rest), current: 0 },
      ...extra.map(([version, w]) => ({ version, weight: Math.round(w * 1000), current: 0 })),
    ].filter((s) => s.weight > 0);
  }

  /** Version → percent of requests. */
  weights(): Record<string, number> {
    return Object.fromEntries(this.slots.map((s) => [s.version, s.weight / 10]));
  }

  colorOf(version: string): 'blue' | 'green' {
    return version === this.primary ? 'blue' : 'green';
  }

  /** Requests a version is answering right now. */
  inFlight(version: string): number {
    return this.active.get(version) ?? 0;
  }

  async close(): Promise<void> {
    await closeServer(this.server);
    this.agent.destroy();
  }

  private pick(): string | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      slot.current += slot.weight;
      if (best === undefined || slot.current > best.current) best = slot;
    }
    if (best !== undefined) best.current -= 1000;
    return best?.version;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = loopbackRefusal(req, Number(new URL(this.url).port), this.options.host);
    if (refused !== undefined) {
      res.writeHead(refused.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: refused.reason }));
      return;
    }
    const started = performance.now();
    const body = await readBody(req);
    const picked = this.pick();
    const others = this.slots.map((s) => s.version).filter((v) => v !== picked);
    const attempts = picked === undefined ? [] : [picked, ...(others.length > 0 ? others : [picked])];
    for (const version of attempts) {
      this.active.set(version, this.inFlight(version) + 1);
      try {
        const forwarded = await this.forward(version, req, body);
        if ('answer' in forwarded) return await this.relay(forwarded.answer, res, version, forwarded.sent);
      } finally {
        this.active.set(version, this.inFlight(version) - 1);
      }
    }
    res.writeHead(502, { 'content-type': 'application/json' }).end('{"message":"no version of the alias answered"}');
    this.record(picked ?? this.primary, 502, started);
  }

  private async forward(version: string, req: IncomingMessage, body: Buffer): Promise<Forwarded> {
    let port: number;
    try {
      port = await this.options.backend(version);
    } catch (error) {
      return { error: error as Error };
    }
    const sent = performance.now();
    return new Promise((resolve) => {
      const upstream = request(
        {
          host: '127.0.0.1',
          port,
          method: req.method,
          path: req.url,
          headers: { ...withoutHopByHop(req.headers), 'content-length': String(body.length) },
          agent: this.agent,
        },
        (answer) => resolve({ answer, sent }),
      );
      upstream.on('error', (error) => resolve({ error }));
      upstream.end(body);
    });
  }

  private relay(answer: IncomingMessage, res: ServerResponse, version: string, started: number): Promise<void> {
    const status = answer.statusCode ?? 502;
    res.writeHead(status, {
      ...withoutHopByHop(answer.headers),
      'x-gantry-version': version,
      'x-gantry-color': this.colorOf(version),
    });
    return new Promise((resolve) => {
      // A caller who hangs up is no error of the version's: the caller's side closed unfinished
      // while the version's answer was still coming. Heard before pipeline's own listeners, which
      // destroy the other side at once (so which side broke first is still known here).
      let callerLeft = false;
      res.once('close', () => {
        callerLeft = !res.writableFinished && !answer.destroyed;
      });
      // pipeline, not pipe: an answer cut off midway (the version died) also ends the caller's
      // response, which would otherwise wait for the rest for good; that is a 502 for the alarms.
      pipeline(answer, res, (error) => {
        this.record(version, error !== undefined && !callerLeft ? 502 : status, started);
        resolve();
      });
    });
  }

  private record(version: string, status: number, started: number): void {
    const { functionName, alias } = this.options;
    this.options.metrics.record({
      at: preciseNow(),
      functionName,
      alias,
      version,
      status,
      ms: performance.now() - started,
    });
  }
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
