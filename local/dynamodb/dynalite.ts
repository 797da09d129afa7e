import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import dynalite from 'dynalite';
import type { DynaliteThreadMessage } from './thread';

export interface RunningDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /**
   * Settles, with why, if dynalite stops on its own before `close()` (its thread threw or
   * exited); never otherwise. Absent where it cannot stop on its own (in this thread).
   */
  readonly failed?: Promise<Error>;
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

const THREAD_ENTRY = new URL('./thread-entry.mjs', import.meta.url);

/**
 * dynalite in a worker thread of its own: every DynamoDB call parses, evaluates and
 * (de)serializes items in JavaScript, which on the main thread competed with the edge, the front
 * door and the bus for one core. Same options and endpoint as `startDynalite`.
 */
export async function startDynaliteThread(
  options: DynaliteOptions = {},
  /** The thread's script: a test's stand-in. @default ./thread-entry.mjs */
  entry: URL = THREAD_ENTRY,
): Promise<RunningDynalite> {
  const worker = new Worker(entry, { workerData: options, name: 'dynalite' });
  let gone = false;
  worker.once('exit', () => {
    gone = true;
  });
  // The thread's next message; an error, or an exit with nothing said (process.exit in the
  // thread, a crash of its own), rejects rather than leaving its owner waiting for good.
  const next = () =>
    new Promise<DynaliteThreadMessage>((resolve, reject) => {
      if (gone) return reject(new Error('its thread has already exited'));
      const settle = () => {
        worker.off('message', said);
        worker.off('error', failed);
        worker.off('exit', exited);
      };
      const said = (message: DynaliteThreadMessage) => {
        settle();
        resolve(message);
      };
      const failed = (error: Error) => {
        settle();
        reject(error);
      };
      const exited = (code: number) => {
        settle();
        reject(new Error(`its thread exited (code ${code}) before it answered`));
      };
      worker.on('message', said);
      worker.on('error', failed);
      worker.on('exit', exited);
    });
  const started = await next().catch((error: Error) => ({ type: 'failed' as const, message: error.message }));
  if (started.type !== 'ready') {
    await worker.terminate();
    throw new Error(`dynalite did not start: ${started.type === 'failed' ? started.message : started.type}`);
  }
  // From here an error in the thread (a LevelDB failure, a bug) is an event its owner hears,
  // not an unhandled 'error' that ends the whole process without stopping anything else.
  let closing = false;
  const failed = new Promise<Error>((resolve) => {
    if (gone) return resolve(new Error('its thread exited just after it started'));
    worker.on('error', (error) => resolve(new Error(`its thread failed: ${error.message}`, { cause: error })));
    worker.once('exit', (code) => {
      if (!closing) resolve(new Error(`its thread exited (code ${code})`));
    });
  });
  return {
    endpoint: started.endpoint,
    failed,
    close: async () => {
      closing = true;
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
