import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as z from 'zod/mini';
import { SqsJournalError } from './errors';
import { StoredMessageSchema } from './message';

/** One line of a queue's journal. */
export const JournalRecordSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('queue'),
    createdAt: z.number(),
    /** The last FIFO sequence number handed out, so numbers keep rising across restarts. */
    sequence: z.number(),
    /** FIFO deduplication ids still inside their 5-minute window: [dedupId, messageId, sentAt]. */
    dedup: z.array(z.tuple([z.string(), z.string(), z.number()])),
  }),
  z.object({ t: z.literal('send'), m: StoredMessageSchema }),
  z.object({ t: z.literal('receive'), id: z.string(), at: z.number() }),
  z.object({ t: z.literal('delete'), id: z.string() }),
  z.object({ t: z.literal('purge'), at: z.number() }),
]);
export type JournalRecord = z.infer<typeof JournalRecordSchema>;

/**
 * Reads a journal. A last line without its newline is the torn tail of a crash mid-append and is
 * skipped when it does not parse; any other bad line means the file was damaged and is an error.
 */
export function readJournal(file: string): JournalRecord[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const tail = lines.pop() ?? '';
  const records = lines.filter((line) => line !== '').map((line, i) => parseLine(file, line, i + 1));
  if (tail !== '') {
    const last = JournalRecordSchema.safeParse(safeJson(tail));
    if (last.success) records.push(last.data);
  }
  return records;
}

function parseLine(file: string, line: string, number: number): JournalRecord {
  const parsed = JournalRecordSchema.safeParse(safeJson(line));
  if (!parsed.success) throw new SqsJournalError(file, number, { cause: parsed.error });
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Replaces the journal with `records` all at once: written beside it, then renamed over it. */
export function rewriteJournal(file: string, records: readonly JournalRecord[]): void {
  const temporary = `${file}.compacting`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeAll(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/**
 * Appends records with synchronous writes: when `append` returns the line is in the OS, so an
 * answer sent after it survives a `kill -9` of the process (not a power cut: there is no fsync).
 */
export class JournalWriter {
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a', 0o600);
  }

  append(record: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`local SQS journal ${this.file} is closed`);
    writeAll(this.fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}
