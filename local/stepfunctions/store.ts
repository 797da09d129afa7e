import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { HistoryEventRecord } from './history-events';

/** An execution's status, in DescribeExecution's words (no redrive locally). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution as DescribeExecution reports it; dates in epoch milliseconds. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly name: string;
  /** Start order, for listing newest first and for paging that new executions do not disturb. */
  readonly seq: number;
  /** The definition the execution ran, for DescribeStateMachineForExecution after a change. */
  readonly definitionHash: string;
  readonly roleArn: string;
  readonly input: string;
  readonly startDate: number;
  readonly status: ExecutionStatus;
  readonly stopDate?: number;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Appends one execution's history, each event a line written before `append` returns. */
export interface HistoryWriter {
  append(event: HistoryEventRecord): void;
  close(): void;
}

/**
 * Executions and their histories under the emulator's data folder. Records are replaced by
 * rename and history lines appended with a write system call each, so whatever was written
 * survives a crash of the process (not of the machine: there is no fsync); a torn last history
 * line is skipped on reading.
 */
export class ExecutionStore {
  private readonly executions: string;
  private readonly definitions: string;

  constructor(dataDir: string) {
    this.executions = join(dataDir, 'executions');
    this.definitions = join(dataDir, 'definitions');
    mkdirSync(this.executions, { recursive: true });
    mkdirSync(this.definitions, { recursive: true });
  }

  loadRecords(): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const key of readdirSync(this.executions)) {
      const file = join(this.executions, key, 'record.json');
      if (existsSync(file)) records.push(JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord);
    }
    return records;
  }

  saveRecord(record: ExecutionRecord): void {
    const dir = this.folderOf(record.executionArn);
    mkdirSync(dir, { recursive: true });
    replaceFile(join(dir, 'record.json'), JSON.stringify(record));
  }

  openHistory(executionArn: string): HistoryWriter {
    const dir = this.folderOf(executionArn);
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, 'history.jsonl'), 'a');
    return {
      append: (event) => void writeSync(fd, `${JSON.stringify(event)}\n`),
      close: () => closeSync(fd),
    };
  }

  readHistory(executionArn: string): HistoryEventRecord[] {
    const file = join(this.folderOf(executionArn), 'history.jsonl');
    if (!existsSync(file)) return [];
    const events: HistoryEventRecord[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const event = parseLine(line);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  /** Keeps a definition once, by content; returns the key records refer to it by. */
  saveDefinition(definition: string): string {
    const hash = sha256(definition);
    const file = join(this.definitions, `${hash}.json`);
    if (!existsSync(file)) replaceFile(file, definition);
    return hash;
  }

  readDefinition(hash: string): string | undefined {
    const file = join(this.definitions, `${hash}.json`);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  private folderOf(executionArn: string): string {
    return join(this.executions, sha256(executionArn).slice(0, 32));
  }
}

function replaceFile(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function parseLine(line: string): HistoryEventRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    return JSON.parse(line) as HistoryEventRecord;
  } catch {
    return undefined;
  }
}

/** Content keys for definitions and folder names for executions (ARNs are not file names). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
