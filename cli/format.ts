import { printable } from '../shared/text/printable';

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** The text without colour codes. */
export function plain(text: string): string {
  return text.replace(ANSI, '');
}

/** How wide a cell looks on a terminal: colour codes take no columns. */
export function visibleLength(text: string): number {
  return plain(text).length;
}

/**
 * `value` with each string it holds made printable (`shared/text/printable`): a stored record
 * (a run, an audit event) as a terminal may show it, whatever the sender of a commit, a branch or
 * a test report wrote into it. Gantry's own colour codes are added to its fields afterwards.
 */
export function printableFields<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map(printableFields) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), printableFields(v)])) as T;
}

/** A plain-text table, columns padded to their widest cell (colour codes ignored). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (cell: string, width: number) => cell + ' '.repeat(Math.max(0, width - visibleLength(cell)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * Whether to colour what goes to a stream: only a terminal, never with `NO_COLOR` set to
 * anything non-empty (no-color.org), and `FORCE_COLOR` (non-zero) to colour a pipe on purpose.
 */
export function colourEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return stream.isTTY === true;
}

const STATUS_COLOURS: Record<string, number> = {
  SUCCEEDED: 32,
  PASSED: 32,
  FAILED: 31,
  REJECTED: 31,
  CANCELLED: 33,
  WAITING: 33,
  QUEUED: 36,
  RUNNING: 36,
};

/** A run or stage status, coloured by outcome when `colour` is on (green done, red failed, yellow waiting). */
export function status(text: string, colour: boolean = colourEnabled()): string {
  const code = STATUS_COLOURS[text.toUpperCase()];
  return colour && code !== undefined ? `${ESC}[${code}m${text}${ESC}[39m` : text;
}

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function duration(fromIso: string | undefined, toIso: string | undefined): string {
  if (!fromIso || !toIso) return '';
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!(ms >= 0)) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `2026-11-23 11:24:19Z` */
export function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '';
}
