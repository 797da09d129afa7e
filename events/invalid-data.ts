import type * as z from 'zod/mini';

/**
 * Data read back (a stored record, a state machine's definition, an event) that does not match
 * its schema. Named so that logs, Step Functions' task errors and the command's output say what
 * was read and where it broke, rather than a validator's class name over a JSON dump of issues.
 */
export class InvalidDataError extends Error {
  override readonly name = 'Gantry.InvalidData';

  constructor(
    readonly what: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(`invalid ${what} ${firstIssue(issues)}`);
  }
}

/**
 * The first issue, as `at a.b: message`: enough to find the fault. Values never appear (zod's
 * issues carry none); key names can (a record's keys in the path, an unrecognized key in the
 * message), so each path segment and the message are cut short: a sender's 10 KB key does not
 * become a 10 KB log line.
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  const path = issue?.path.map((segment) => cut(String(segment), 64)).join('.') || '(root)';
  return `at ${path}: ${cut(issue?.message ?? 'invalid', 200)}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What parses a value: a zod schema, or one on its generated checker (`lazyCompiled`). */
export interface SafeParser<T> {
  safeParse(value: unknown): z.core.util.SafeParseResult<T>;
}

/** `schema`'s output for `value`, or an `InvalidDataError` naming `what` was read. */
export function parseAs<T>(schema: SafeParser<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidDataError(what, result.error.issues);
}
