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
export async function startDynalite(options: { path?: string; port?: number } = {}): Promise<RunningDynalite> {
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
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
