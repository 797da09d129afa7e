import type { Provider } from '../../../events';
import type { CommitState } from '../types';

/** A `CommitStatus` after validation: URL without trailing slash, token trimmed ('' when absent), description truncated. */
export interface PreparedStatus {
  readonly provider: Provider;
  readonly apiUrl: string;
  readonly token: string;
  readonly repository: string;
  readonly commit: string;
  readonly state: CommitState;
  readonly context: string;
  readonly description: string;
  readonly targetUrl: string | undefined;
}

/** What an adapter asks to send; the reporter adds Content-Type and User-Agent, and the timeout. */
export interface StatusRequest {
  readonly url: string;
  /** Lower-case names; the one carrying the token is also listed in `secrets`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Header values that hold the token in some form (Basic credentials), redacted from every reason. */
  readonly secrets: readonly string[];
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * One provider's commit status API. Pure: builds the request and throws
 * `InvalidCommitStatusError` when the repository name cannot be one of this provider's.
 */
export interface StatusApi {
  readonly provider: Provider;
  /** The provider refuses a status without a link (Bitbucket): such reports are skipped, not sent. */
  readonly requiresTargetUrl: boolean;
  request(status: PreparedStatus): StatusRequest;
}
