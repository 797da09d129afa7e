import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Redactor } from './redact';

export interface BuildLogOptions {
  readonly file: string;
  /** Output kept beyond this is dropped, and the log says so. */
  readonly maxBytes: number;
  readonly redactor: Redactor;
  /** Each line as it is kept (already redacted), for the console. */
  readonly onLine?: (line: string) => void;
}

/** Room kept past the cap for the runner's own lines, so phase transitions stay visible. */
const SYSTEM_RESERVE = 64 * 1024;
/** A line longer than this is written in pieces rather than held in memory. */
const MAX_PENDING = 64 * 1024;

/**
 * One build's log file, in CodeBuild's shape: the runner's `[Container] <time> …` lines and the
 * commands' output, line by line, secrets masked, capped at `maxBytes` of output.
 */
export class BuildLog {
  private readonly fd: number;
  private bytes = 0;
  private dropped = 0;
  private pending = '';
  private closed = false;

  constructor(private readonly options: BuildLogOptions) {
    this.fd = openSync(options.file, 'a', 0o600);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** A line from the runner itself (phase transitions, commands run, warnings). */
  system(message: string): void {
    this.write(`[Container] ${timestamp()} ${message}`, this.options.maxBytes + SYSTEM_RESERVE);
  }

  /** A chunk of command output: complete lines are kept now, the rest when the line ends. */
  output(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.outputLine(line);
    while (this.pending.length > MAX_PENDING) {
      this.outputLine(this.pending.slice(0, MAX_PENDING));
      this.pending = this.pending.slice(MAX_PENDING);
    }
  }

  /** Keeps an unfinished last line (output that did not end with a newline). */
  flush(): void {
    if (this.pending !== '') this.outputLine(this.pending);
    this.pending = '';
  }

  /** Ends the log; anything written after (output of a process that outlived the build) is dropped. */
  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.dropped > 0) {
      this.system(
        `Log truncated: ${this.dropped} bytes of output past the ${this.options.maxBytes}-byte limit were dropped`,
      );
    }
    closeSync(this.fd);
    this.closed = true;
  }

  private outputLine(line: string): void {
    const size = Buffer.byteLength(line) + 1;
    if (this.dropped > 0 || this.bytes + size > this.options.maxBytes) {
      if (this.dropped === 0) this.system(`Output over ${this.options.maxBytes} bytes: the rest is not kept`);
      this.dropped += size;
      return;
    }
    this.write(line.replace(/\r$/, ''), this.options.maxBytes);
  }

  private write(line: string, limit: number): void {
    if (this.closed) return;
    const kept = this.options.redactor.redact(line);
    const size = Buffer.byteLength(kept) + 1;
    if (this.bytes + size > limit) return;
    writeSync(this.fd, `${kept}\n`);
    this.bytes += size;
    this.options.onLine?.(kept);
  }
}

/** The last `tail` lines of a log file (all of them without `tail`). */
export async function readLogLines(file: string, tail?: number): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return tail === undefined ? lines : lines.slice(Math.max(0, lines.length - tail));
}

function timestamp(): string {
  const iso = new Date().toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '/')} ${iso.slice(11, 23)}`;
}
