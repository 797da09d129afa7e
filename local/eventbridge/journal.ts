import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** A bus event as the journal keeps it until every target has it. */
export interface JournaledEvent {
  readonly id: string;
  readonly bus: string;
  /** The account whose bus holds the event, when not the control plane's (a target account's default bus). */
  readonly busAccount?: string;
  readonly event: Record<string, unknown>;
}

type Line = { readonly t: 'event'; readonly e: JournaledEvent } | { readonly t: 'done'; readonly id: string };

/**
 * An append-only journal of accepted events. `append` returns only after the write system call,
 * so an event PutEvents acknowledged survives a crash of the process (not of the machine:
 * there is no fsync). `open` hands back the events whose delivery never finished. Once closed it
 * still takes lines, each opening the file anew: a publisher that outlives the bus at shutdown
 * never writes through a descriptor the process has since given to another file.
 */
export class EventJournal {
  private fd: number | undefined;

  private constructor(
    private readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens the journal, compacting it to the events still owed to their targets. */
  static open(file: string): { journal: EventJournal; pending: JournaledEvent[] } {
    mkdirSync(dirname(file), { recursive: true });
    const pending = existsSync(file) ? undelivered(readFileSync(file, 'utf8')) : [];
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, pending.map((e) => `${JSON.stringify({ t: 'event', e } satisfies Line)}\n`).join(''));
    renameSync(tmp, file);
    return { journal: new EventJournal(file, openSync(file, 'a')), pending };
  }

  append(events: readonly JournaledEvent[]): void {
    if (events.length === 0) return;
    this.write(events.map((e) => `${JSON.stringify({ t: 'event', e } satisfies Line)}\n`).join(''));
  }

  delivered(id: string): void {
    this.write(`${JSON.stringify({ t: 'done', id } satisfies Line)}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private write(text: string): void {
    if (this.fd === undefined) appendFileSync(this.file, text);
    else writeSync(this.fd, text);
  }

  get path(): string {
    return this.file;
  }
}

/** Events with no `done` line; a torn last line (the crash came mid-write) is skipped. */
function undelivered(text: string): JournaledEvent[] {
  const events = new Map<string, JournaledEvent>();
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue;
    }
    if (line.t === 'event') events.set(line.e.id, line.e);
    else events.delete(line.id);
  }
  return [...events.values()];
}
