import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface RunningDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops the server and flushes LevelDB to disk. */
  close(): Promise<void>;
}

/**
 * Starts dynalite on loopback: persisted under `path` when given, in memory otherwise.
 * Tables become ACTIVE at once (no simulated CREATING delay).
 */
export async function startDynalite(
  options: { path?: string; port?: number; secret?: string } = {},
): Promise<RunningDynalite> {
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
