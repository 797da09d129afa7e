/** A problem with what the user asked for: printed without a stack, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode: number = 2;
}

/** The command ran but the answer is "no" (a gate failed, a chain is broken): exit status 1. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
  readonly exitCode: number = 1;
}
