import type { Provider } from '../../events';

/** The states Gantry reports, in GitHub's words; each adapter maps them to its provider's. */
export const COMMIT_STATES = ['pending', 'success', 'failure', 'error'] as const;
/** A commit status state in Gantry's vocabulary. */
export type CommitState = (typeof COMMIT_STATES)[number];

/**
 * One commit status to report: what a pipeline says about a commit, and where and how to say it.
 * `apiUrl` is resolved by the caller (config default or the connection's own); `token` comes from
 * the connection secret and is absent when the connection has no `apiToken`.
 */
export interface CommitStatus {
  readonly provider: Provider;
  /** API base URL, e.g. `https://api.github.com`; see `DEFAULT_API_URLS`. */
  readonly apiUrl: string;
  readonly token?: string;
  /** `SourceEvent.repository.fullName`: owner/name, group/sub/project, PROJECTKEY/slug, project/repository. */
  readonly repository: string;
  /** The full commit SHA. */
  readonly commit: string;
  readonly state: CommitState;
  /** Tells Gantry's statuses apart from other systems' (and pipelines from each other), e.g. `gantry/sample-service`. */
  readonly context: string;
  /** Shown next to the status; truncated to `MAX_DESCRIPTION_LENGTH` with an ellipsis. */
  readonly description: string;
  /** Where the status links to (the run's page). Bitbucket requires one. */
  readonly targetUrl?: string;
}

/** Why a status was not sent at all. */
export type SkipReason = 'no_token' | 'no_target_url';

/** The provider accepted the status. */
export interface DeliveredOutcome {
  readonly outcome: 'delivered';
  readonly provider: Provider;
  readonly statusCode: number;
  readonly attempts: number;
}

/** Nothing was sent: the connection cannot report (no token), or the provider would refuse (no target URL). */
export interface SkippedOutcome {
  readonly outcome: 'skipped';
  readonly provider: Provider;
  readonly reason: SkipReason;
}

/**
 * The provider refused the status or could not be reached. `statusCode` is absent when no
 * response came (timeout, network); `reason` is short, safe to log, and never holds the token.
 */
export interface FailedOutcome {
  readonly outcome: 'failed';
  readonly provider: Provider;
  readonly statusCode?: number;
  readonly reason: string;
  readonly attempts: number;
}

/** What became of one report. A commit status must not fail a pipeline run, so failures are values. */
export type ReportOutcome = DeliveredOutcome | SkippedOutcome | FailedOutcome;

/**
 * Port: reports commit status back to the Git provider. Resolves for every provider answer,
 * timeout and network error; rejects only with `CommitStatusError` for a status that no
 * provider could accept (a programming or configuration error).
 */
export interface CommitStatusReporter {
  report(status: CommitStatus): Promise<ReportOutcome>;
}
