/** The kinds of report the gates read; a parse error names the one it expected. */
export type ReportKind = 'junit' | 'coverage' | 'sarif';

/**
 * The family of errors the gates module throws. Every one of them is about the user's input
 * (a report or a gates config), so callers map the whole family to one "bad input" outcome:
 * exit status 2 in the CLI, a failed EvaluateGates step in a pipeline.
 */
export class GateError extends Error {
  override readonly name: string = 'GateError';
}

/**
 * A report that cannot be read as what it claims to be: not well-formed, of an unknown
 * format, too large, or hostile (entity declarations). The message names the file and what is
 * wrong with it, and never holds more than a short excerpt of the file.
 */
export class ReportParseError extends GateError {
  override readonly name = 'ReportParseError';

  constructor(
    readonly file: string,
    readonly kind: ReportKind,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }
}

/** A report file that does not exist, cannot be opened, or is not a file at all. */
export class ReportReadError extends GateError {
  override readonly name = 'ReportReadError';

  /** @param code the system error code (`ENOENT`, `EACCES`, …), or a word of ours such as `not a file`. */
  constructor(
    readonly file: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${code}`, options);
  }
}

/** A gates config that is not valid JSON or does not match `GatesSchema`. */
export class GatesConfigError extends GateError {
  override readonly name = 'GatesConfigError';

  constructor(
    readonly source: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${detail}`, options);
  }
}
