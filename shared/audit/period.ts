/** The period of an audit query: inclusive bounds, a date alone meaning its whole day (UTC). */
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
  const from = filter.from ? lowerBound(filter.from, flag) : undefined;
  const to = filter.to ? upperBound(filter.to, flag) : undefined;
  if (from && to && from > to)
    throw new RangeError(
      `${flag}from ${filter.from} comes after ${flag}to ${filter.to}: no event can match; swap them`,
    );
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** A date alone means the start of that day (UTC). */
export function lowerBound(value: string, flag = ''): string {
  return parseBound(value, `${flag}from`).toISOString();
}

/** A date alone means the whole of that day. */
export function upperBound(value: string, flag = ''): string {
  const date = parseBound(value, `${flag}to`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(date.getTime() + 86_399_999).toISOString() : date.toISOString();
}

function parseBound(value: string, name: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new RangeError(`${name} "${value}" is not a date (2026-07-01) or an ISO time`);
  return date;
}
