/**
 * The period of an audit query: inclusive bounds in UTC unless they name a zone. `to` covers what it
 * does not say: a date alone its whole day, a time to the minute its whole minute, and so on.
 */
export interface AuditPeriodBounds {
  readonly from?: string;
  readonly to?: string;
}

/**
 * A filter's period as ISO times the ledger compares with, or a RangeError that says what to fix
 * (a bound that is no date, or `from` after `to`, which no event can match). `flag` prefixes the
 * names as the caller's user typed them (`--` on the command line).
 */
export function auditPeriod(filter: AuditPeriodBounds, flag = ''): { from?: string; to?: string } {
  const from = filter.from ? parseBound(filter.from, `${flag}from`) : undefined;
  const to = filter.to ? parseBound(filter.to, `${flag}to`) : undefined;
  if (from && to && comesAfter(from, to))
    throw new RangeError(
      `${flag}from ${filter.from?.trim()} comes after ${flag}to ${filter.to?.trim()}: no event can match; swap them`,
    );
  return {
    ...(from ? { from: lowest(from).toISOString() } : {}),
    ...(to ? { to: highest(to).toISOString() } : {}),
  };
}

/**
 * A date alone means the start of that day (UTC). A fraction finer than the ledger's milliseconds
 * rounds up: `.0005` comes after every event stamped `.000`.
 */
export function lowerBound(value: string, flag = ''): Date {
  return lowest(parseBound(value, `${flag}from`));
}

/** A date alone means the whole of that day; a time to the minute, that minute; to the second, that second. */
export function upperBound(value: string, flag = ''): Date {
  return highest(parseBound(value, `${flag}to`));
}

function lowest(bound: Bound): Date {
  return inYears(bound, bound.at.getTime() + (bound.finer ? 1 : 0));
}

function highest(bound: Bound): Date {
  return inYears(bound, bound.at.getTime() + bound.span);
}

/** A zone can move a time in year 0 or 9999 out of the years whose ISO text sorts as time. */
function inYears(bound: Bound, instant: number): Date {
  if (instant < FIRST_INSTANT || instant > LAST_INSTANT)
    throw new RangeError(`${bound.label} is outside the years 0000 to 9999 in UTC`);
  return new Date(instant);
}

/**
 * Whether `from` is a later instant than `to` as given, to every digit (before `from` rounds up to
 * the ledger's milliseconds and `to` is cut to them): .0001 to .0009 is no reversal, .0009 to .0001
 * is one. A `to` that stops short of milliseconds (a date, a minute) is its span's last instant.
 */
function comesAfter(from: Bound, to: Bound): boolean {
  const [a, b] = [from.at.getTime(), highest(to).getTime()];
  if (a !== b) return a > b;
  return from.beyondMs > (to.span > 0 ? '999999' : to.beyondMs);
}

/** The instants an ISO time with a four-digit year can name in UTC. */
const FIRST_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** `2026-07-01`, or an ISO time from it (`T` or a space; seconds and fraction optional; no zone means UTC). */
const BOUND = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * One bound, read the same wherever it is read (a laptop's time zone does not move it): a day that
 * is not in the calendar (2026-02-30) or an hour past 23 is refused, not rolled over.
 */
interface Bound {
  readonly at: Date;
  /**
   * How much past `at` the bound covers as an upper bound, in ms: what it does not say. A date
   * covers its day, a time to the minute its minute, to the second its second, `.5` up to `.599`.
   */
  readonly span: number;
  /** Whether the fraction has a non-zero digit past the milliseconds Date keeps. */
  readonly finer: boolean;
  /** The fraction's digits past the milliseconds, six of them (`000000` if none). */
  readonly beyondMs: string;
  /** The bound as the user named and typed it, for a refusal. */
  readonly label: string;
}

function parseBound(raw: string, name: string): Bound {
  const value = raw.trim();
  const refuse = () =>
    new RangeError(
      `${name} "${value}" is not a date (2026-07-01) or an ISO time (2026-07-01T12:00:00Z; no zone is UTC)`,
    );
  const m = BOUND.exec(value);
  if (m === null) throw refuse();
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  // Set together: Date.UTC would read years 0-99 as 1900-1999 (and 0000-02-29 as 1900's, no leap day).
  const day = new Date(0);
  day.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  const inCalendar = day.getUTCMonth() === Number(mo) - 1 && day.getUTCDate() === Number(d);
  if (!inCalendar || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) throw refuse();
  const label = `${name} "${value}"`;
  if (h === undefined) return { at: day, span: 86_399_999, finer: false, beyondMs: '000000', label };
  const offset = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${fraction ?? ''}${offset}`);
  if (Number.isNaN(at.getTime())) throw refuse();
  // Date keeps milliseconds: digits past the third are cut, which moves an upper bound no event can pass.
  const beyondMs = (fraction?.slice(4) ?? '').padEnd(6, '0');
  const span = s === undefined ? 59_999 : fraction === undefined ? 999 : 10 ** Math.max(0, 4 - fraction.length) - 1;
  return { at, span, finer: /[1-9]/.test(beyondMs), beyondMs, label };
}
