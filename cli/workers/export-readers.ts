import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ExportDataFile, ExportUnreadableError } from '../../shared/audit/table-export';
import type { CopyPart, DataFileReader } from '../../shared/audit/verify-export';

type Reply = { id: number; part: CopyPart } | { id: number; error: { name: string; message: string } };

/**
 * Reads an export's data files in worker threads, one file per worker at a time: reading a file
 * (gunzip, JSON, unmarshalling, hashing every record) is nearly all of verify-from-export's CPU,
 * and the files are independent. The caller merges the parts in the manifest's order, so the
 * report and its first break are those of reading the files one after another.
 */
export function workerDataFileReader(size = Math.min(4, availableParallelism())): {
  read: DataFileReader;
  parallelism: number;
  close: () => Promise<void>;
} {
  const workers = Array.from(
    { length: Math.max(1, size) },
    () => new Worker(new URL('./export-reader.mjs', import.meta.url)),
  );
  const busy = workers.map(() => 0);
  const waiting = new Map<
    number,
    { resolve: (part: CopyPart) => void; reject: (error: Error) => void; worker: number }
  >();
  // Once a thread has stopped, every read fails with why (never a read that waits forever).
  let stopped: Error | undefined;
  const failAll = (error: Error) => {
    stopped ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  for (const worker of workers) {
    worker.on('message', (reply: Reply) => {
      const w = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (w === undefined) return;
      busy[w.worker] = (busy[w.worker] ?? 1) - 1;
      if ('part' in reply) w.resolve(reply.part);
      else w.reject(rebuilt(reply.error));
    });
    worker.on('error', (error) => failAll(new Error(`an export reader thread stopped: ${error.message}`)));
    worker.on('exit', (code) => failAll(new Error(`an export reader thread exited (code ${code})`)));
  }
  let next = 0;
  const read: DataFileReader = (gz: Buffer, file: ExportDataFile) =>
    new Promise<CopyPart>((resolve, reject) => {
      if (stopped !== undefined) return reject(stopped);
      const id = next++;
      // The least busy thread: files of different sizes finish out of turn.
      const worker = busy.indexOf(Math.min(...busy));
      busy[worker] = (busy[worker] ?? 0) + 1;
      waiting.set(id, { resolve, reject, worker });
      (workers[worker] as Worker).postMessage({ id, gz, file });
    });
  return {
    read,
    parallelism: workers.length,
    close: async () => {
      failAll(new Error('the export readers were closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** The worker's error as the caller would have seen it thrown in this thread. */
function rebuilt(error: { name: string; message: string }): Error {
  if (error.name === new ExportUnreadableError('').name) return new ExportUnreadableError(error.message);
  const rebuiltError = new Error(error.message);
  rebuiltError.name = error.name;
  return rebuiltError;
}
