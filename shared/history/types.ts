import type { GitPerson, Provider } from '../../events';
import type { HttpResponse } from '../status/http';

/** The commits a push added: those reachable from `after` and not from `before`, at one repository. */
export interface CommitRange {
  readonly provider: Provider;
  /** The connection's API base URL, without a trailing slash (the one commit statuses use). */
  readonly apiUrl: string;
  readonly token: string;
  /** `SourceEvent.repository.fullName`. */
  readonly repository: string;
  readonly before: string;
  readonly after: string;
}

/** One commit of a range as the provider's API lists it; `committer` is absent where the provider records none. */
export interface RangeCommit {
  readonly id: string;
  readonly author: GitPerson;
  readonly committer?: GitPerson;
}

/** One GET to send; `secrets` are the header values that carry the token, redacted from every reason. */
export interface PageRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

/** What one page says: its commits, and the request for the next page (null: this was the last). */
export interface HistoryPage {
  readonly commits: readonly RangeCommit[];
  readonly next: PageRequest | null;
  /** How many commits the whole range holds, when the provider says (GitHub's `total_commits`). */
  readonly total?: number;
}

/**
 * One provider's API for listing a range of commits. Pure: builds requests and reads answers,
 * throwing `HistoryError` for an answer it cannot read.
 */
export interface HistoryApi {
  readonly provider: Provider;
  /** Whether the API names each commit's committer (Bitbucket Cloud records authors only). */
  readonly namesCommitters: boolean;
  first(range: CommitRange): PageRequest;
  read(response: HttpResponse, page: PageRequest, range: CommitRange): HistoryPage;
}

/** The range could not be listed; the message is short, safe to log and never holds the token. */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
}
