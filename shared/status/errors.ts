/**
 * The family of errors the status module throws. Each one is a programming or configuration
 * error (a malformed status), never a provider's answer: those are `ReportOutcome` values.
 * Messages name the field and the rule, and never echo a token or a URL's credentials.
 */
export class CommitStatusError extends Error {
  override readonly name: string = 'CommitStatusError';
}

/** A `CommitStatus` field that no provider could accept (e.g. `repository` not `owner/name` for GitHub). */
export class InvalidCommitStatusError extends CommitStatusError {
  override readonly name = 'InvalidCommitStatusError';

  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`invalid commit status: ${field} ${detail}`);
  }
}

/** No API URL was given and the provider has no default (self-hosted or per-organization). */
export class ApiUrlRequiredError extends CommitStatusError {
  override readonly name = 'ApiUrlRequiredError';

  constructor(readonly provider: string) {
    super(`${provider} has no default API URL: set apiUrl on the connection`);
  }
}
