import type { Provider, RunPlan } from '../../events';

/** The states Gantry reports, in GitHub's words; each adapter maps them to its provider's. */
export const COMMIT_STATES = ['pending', 'success', 'failure', 'error'] as const;
/** A commit status state in Gantry's vocabulary. */
export type CommitState = (typeof COMMIT_STATES)[number];

/** Where a run's commit statuses go, as ResolvePlan wrote it in the run's plan. */
export type StatusTarget = RunPlan['status'];

/** A commit status for a run: its target and what to say. What `StatusPort` reports. */
export interface CommitStatusRequest extends StatusTarget {
  readonly state: CommitState;
  /** Shown next to the status; truncated to `MAX_DESCRIPTION_LENGTH` with an ellipsis. */
  readonly description: string;
  /** Where the status links to (the run's page). Bitbucket requires one. */
  readonly targetUrl?: string;
}

/**
 * A commit status with its connection resolved, as `HttpCommitStatusReporter` sends it:
 * `apiUrl` from the connection's configuration (config default or its own), `token` from the
 * connection secret (absent when the connection has no `apiToken`). `provider` is checked
 * against the providers Gantry knows when the status is prepared.
 */
export interface CommitStatus extends Omit<CommitStatusRequest, 'connection' | 'secretId'> {
  /** API base URL, e.g. `https://api.github.com`; see `DEFAULT_API_URLS`. */
  readonly apiUrl: string;
  readonly token?: string;
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
