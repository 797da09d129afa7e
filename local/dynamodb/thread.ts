import { parentPort, workerData } from 'node:worker_threads';
import { type DynaliteOptions, startDynalite } from './dynalite';

/** What the dynalite thread tells its owner. */
export type DynaliteThreadMessage =
  | { readonly type: 'ready'; readonly endpoint: string }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'closed' };

/**
 * Inside the worker: starts dynalite with the owner's options, says where it listens, and on
 * any message closes it (flushing LevelDB) and says so.
 */
const port = parentPort;
if (port === null) throw new Error('thread.ts must run in a worker thread');
const tell = (message: DynaliteThreadMessage) => port.postMessage(message);
try {
  const running = await startDynalite(workerData as DynaliteOptions);
  port.once('message', () => {
    void running.close().finally(() => tell({ type: 'closed' }));
  });
  tell({ type: 'ready', endpoint: running.endpoint });
} catch (error) {
  tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
