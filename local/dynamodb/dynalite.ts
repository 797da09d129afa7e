import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import dynalite from 'dynalite';
import type { DynaliteThreadMessage } from './thread';

export interface RunningDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops the server and flushes LevelDB to disk. */
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** Where LevelDB persists the tables. @default in memory */
  readonly path?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** When set, only callers sending it in `DYNALITE_SECRET_HEADER` are answered. */
  readonly secret?: string;
}

/**
 * Starts dynalite on loopback: persisted under `path` when given, in memory otherwise.
 * Tables become ACTIVE with no simulated delay, but only just after CreateTable has answered
 * CREATING (a timer and a write later): a caller waits for ACTIVE, as with DynamoDB.
 */
export async function startDynalite(options: DynaliteOptions = {}): Promise<RunningDynalite> {
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  if (options.secret !== undefined) guard(server, options.secret);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/**
 * dynalite in a worker thread of its own: every DynamoDB call parses, evaluates and
 * (de)serializes items in JavaScript, which on the main thread competed with the edge, the front
 * door and the bus for one core. Same options and endpoint as `startDynalite`.
 */
export async function startDynaliteThread(options: DynaliteOptions = {}): Promise<RunningDynalite> {
  const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: options, name: 'dynalite' });
  const next = () =>
    new Promise<DynaliteThreadMessage>((resolve, reject) => {
      const failed = (error: Error) => {
        worker.off('message', resolve);
        reject(error);
      };
      worker.once('message', (message: DynaliteThreadMessage) => {
        worker.off('error', failed);
        resolve(message);
      });
      worker.once('error', failed);
    });
  const started = await next();
  if (started.type !== 'ready') {
    await worker.terminate();
    throw new Error(`dynalite did not start: ${started.type === 'failed' ? started.message : started.type}`);
  }
  return {
    endpoint: started.endpoint,
    close: async () => {
      const closed = next();
      worker.postMessage('close');
      await closed.catch(() => undefined);
      await worker.terminate();
    },
  };
}

/**
 * The header the control plane's own callers (the edge's DynamoDB proxy, table creation) send to
 * a guarded dynalite. dynalite checks no signature, so without it anyone on the machine could
 * write the runs table or the ledger straight through dynalite's port, around the edge's
 * authentication and IAM.
 */
export const DYNALITE_SECRET_HEADER = 'x-gantry-dynalite';

function guard(server: Server, secret: string): void {
  const expected = Buffer.from(secret);
  const serve = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const given = Buffer.from(String(req.headers[DYNALITE_SECRET_HEADER] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          __type: 'com.amazon.coral.service#AccessDeniedException',
          message:
            'local DynamoDB answers only the local control plane: call the edge endpoint in .gantry/runtime.json',
        }),
      );
      return;
    }
    for (const handler of serve) handler(req, res);
  });
}
