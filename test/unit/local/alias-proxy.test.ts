import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestMetrics } from '../../../local/cloudwatch/metrics';
import { SyntheticTraffic } from '../../../local/codedeploy/traffic';
import { closeServer, listen } from '../../../local/edge/server';
import { AliasProxy } from '../../../local/lambda-api/proxy';

/**
 * What an alias's proxy records for the alarms: Lambda's Duration counts the handler's time and
 * leaves a cold start's initialization out, so a version whose process starts on its first
 * request must not read as a slow release (a p99 latency alarm would roll it back).
 */
describe('the alias proxy’s durations', () => {
  const COLD_START_MS = 800;
  let backend: Server;
  let proxy: AliasProxy;
  const metrics = new RequestMetrics();
  let starts = 0;

  beforeAll(async () => {
    backend = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    await listen(backend, '127.0.0.1', 0);
    const { port } = backend.address() as AddressInfo;
    let started: Promise<number> | undefined;
    proxy = await AliasProxy.start({
      functionName: 'svc',
      alias: 'live',
      host: '127.0.0.1',
      port: 0,
      // As LocalServices does: the first request starts the version's process, later ones reuse it.
      backend: (_version) => {
        started ??= (async () => {
          starts++;
          await sleep(COLD_START_MS);
          return port;
        })();
        return started;
      },
      metrics,
    });
    proxy.route('1', {});
  });

  afterAll(async () => {
    await proxy.close();
    await closeServer(backend);
  });

  it('leaves the first request’s process start out of its duration, as Lambda leaves out Init Duration', async () => {
    const t = performance.now();
    const first = await fetch(proxy.url);
    const waited = performance.now() - t;
    expect(first.status).toBe(200);
    await first.text();
    // The caller did wait for the start (as a caller of a cold Lambda does)...
    expect(waited).toBeGreaterThanOrEqual(COLD_START_MS - 50);
    const second = await fetch(proxy.url);
    await second.text();

    const samples = metrics.since('svc', 0);
    expect(samples.map((s) => [s.version, s.status])).toEqual([
      ['1', 200],
      ['1', 200],
    ]);
    expect(starts).toBe(1);
    // ...but the alarm reads the handler's time only: far below the start it waited for.
    expect(samples[0]?.ms).toBeLessThan(COLD_START_MS / 2);
  });
});

/** A version answering with `handler`, behind an alias proxy that sends it all traffic. */
async function proxied(handler: Parameters<typeof createServer>[1], metrics: RequestMetrics) {
  const backend = createServer(handler);
  await listen(backend, '127.0.0.1', 0);
  const { port } = backend.address() as AddressInfo;
  const proxy = await AliasProxy.start({
    functionName: 'svc',
    alias: 'live',
    host: '127.0.0.1',
    port: 0,
    backend: async () => port,
    metrics,
  });
  proxy.route('1', {});
  return {
    proxy,
    close: async () => {
      await proxy.close();
      await closeServer(backend);
    },
  };
}

/**
 * A version that dies partway through an answer: its headers are out, the rest never comes. The
 * caller's response must end (as a broken one), or the deployment's synthetic traffic, which waits
 * for every answer when it stops, hangs the release and local mode's shutdown with it.
 */
describe('an answer cut off midway', () => {
  const metrics = new RequestMetrics();
  let proxy: AliasProxy;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ proxy, close } = await proxied((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    }, metrics));
  });

  afterAll(() => close());

  it('ends the caller’s response and records the request as an error', async () => {
    const answer = await fetch(proxy.url);
    expect(answer.status).toBe(200);
    await expect(answer.text()).rejects.toThrow();
    await sleep(50);
    expect(metrics.since('svc', 0).map((s) => [s.version, s.status])).toEqual([['1', 502]]);
  });

  it('lets synthetic traffic stop, counting the cut-off answers as connection errors', async () => {
    const traffic = new SyntheticTraffic(proxy.url, { ratePerSecond: 20 });
    await sleep(200);
    const counts = await traffic.stop();
    expect(counts.sent).toBeGreaterThan(0);
    expect(counts.connectionErrors).toBe(counts.sent);
    expect(counts.statuses).toEqual({});
  });
});

/** A caller who hangs up midway (a browser leaving, a client's timeout) is no error of the version's. */
describe('a caller hanging up midway', () => {
  const metrics = new RequestMetrics();
  let proxy: AliasProxy;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ proxy, close } = await proxied((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '8' });
      res.write('slow');
      setTimeout(() => res.end('done'), 300);
    }, metrics));
  });

  afterAll(() => close());

  it("records the version's status, not a 502 that would count against the release", async () => {
    const caller = new AbortController();
    const answer = await fetch(proxy.url, { signal: caller.signal });
    expect(answer.status).toBe(200);
    caller.abort();
    await sleep(100);
    expect(metrics.since('svc', 0).map((s) => [s.version, s.status])).toEqual([['1', 200]]);
  });
});
