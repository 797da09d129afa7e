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

/** The first issue, as `at a.b: message`: enough to find the fault, never the data's content. */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  return `at ${issue?.path.map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}

/** `schema`'s output for `value`, or an `InvalidDataError` naming `what` was read. */
export function parseAs<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidDataError(what, result.error.issues);
}
