import { parentPort } from 'node:worker_threads';
import type { ExportDataFile } from '../../shared/audit/table-export';
import { partOfDataFile } from '../../shared/audit/verify-export';

/** A request from the pool: one data file's bytes and its manifest line. */
export interface ReadRequest {
  readonly id: number;
  readonly gz: Uint8Array;
  readonly file: ExportDataFile;
}

/** Reads each data file it is sent into its part (check, gunzip, parse, unmarshall, hash each record). */
parentPort?.on('message', (request: ReadRequest) => {
  try {
    const gz = Buffer.from(request.gz.buffer, request.gz.byteOffset, request.gz.byteLength);
    parentPort?.postMessage({ id: request.id, part: partOfDataFile(gz, request.file) });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    parentPort?.postMessage({ id: request.id, error: { name, message } });
  }
});
