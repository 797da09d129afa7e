import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Keys Powertools adds to every line that say nothing a reader of local logs needs. */
const QUIET_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

const COLORS: Record<string, string> = {
  DEBUG: '\x1b[90m',
  INFO: '\x1b[36m',
  WARN: '\x1b[33m',
  ERROR: '\x1b[31m',
  CRITICAL: '\x1b[31m',
};

/**
 * One line for the console from one line a function wrote: Powertools' JSON becomes
 * `time function LEVEL message key=value…`; EMF metric lines are dropped (they go to the file);
 * anything else passes through.
 */
export function formatLogLine(functionLabel: string, line: string, color: boolean): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${clock()} ${functionLabel} ${line}`;
  }
  if (entry === null || typeof entry !== 'object') return `${clock()} ${functionLabel} ${line}`;
  if ('_aws' in entry) return undefined;
  const level = String(entry.level ?? 'INFO');
  const fields = Object.entries(entry)
    .filter(([k]) => !QUIET_KEYS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const tag = color ? `${COLORS[level] ?? ''}${level.padEnd(5)}\x1b[0m` : level.padEnd(5);
  return `${clock()} ${functionLabel} ${tag} ${String(entry.message ?? '')}${fields ? ` ${fields}` : ''}`;
}

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Keeps every line each function writes under `<dataDir>/logs/<function>.log`. */
export class LogFiles {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'logs');
    mkdirSync(this.dir, { recursive: true });
  }

  write(functionLabel: string, line: string): void {
    appendFileSync(join(this.dir, `${functionLabel}.log`), `${line}\n`);
  }
}
