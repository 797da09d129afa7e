import type { Provider } from '../../../events';
import type { HttpResponse } from '../../status/http';
import type { PageRequest } from '../types';

/** Who opened or merged a pull request: the provider's immutable account id, and the username/e-mail separation of duties matches. */
export interface PullRequestPerson {
  readonly id: string | null;
  readonly username: string | null;
  readonly email: string | null;
}

/** A merged pull request that contains a commit; `mergedBy` null when the provider's answer does not name the merger. */
export interface MergedPullRequest {
  readonly number: string;
  readonly title: string | null;
  readonly url: string | null;
  readonly openedBy: PullRequestPerson | null;
  readonly mergedBy: PullRequestPerson | null;
}

/** Where a repository is and how to read it. */
export interface PullsTarget {
  readonly provider: Provider;
  readonly apiUrl: string;
  readonly token: string;
  readonly repository: string;
}

/** One request to send (a GET unless `body` is set: then a POST of JSON). */
export interface PullsRequest extends PageRequest {
  readonly body?: string;
}

/**
 * One provider's "merged pull requests containing this commit" API. Pure: builds requests and
 * reads answers, throwing `HistoryError` for an answer it cannot read. `detail` asks for one pull
 * request whole when the list does not name its merger (GitHub's list has no `merged_by`).
 */
export interface PullsApi {
  readonly provider: Provider;
  request(target: PullsTarget, sha: string): PullsRequest;
  /** Only merged pull requests; a pull request still open or declined is left out. */
  read(response: HttpResponse, sha: string): readonly MergedPullRequest[];
  /** Whether HTTP 404 means "no pull request contains the commit" (Gitea's single-answer endpoint). */
  readonly noneOn404?: boolean;
  detail?(target: PullsTarget, pull: MergedPullRequest): PullsRequest;
  readDetail?(response: HttpResponse, pull: MergedPullRequest): MergedPullRequest;
}

export function person(
  id: string | number | null | undefined,
  username: string | null | undefined,
  email?: string | null,
): PullRequestPerson | null {
  const p = {
    id: id === null || id === undefined || id === '' ? null : String(id),
    username: username?.trim() || null,
    email: email?.trim() || null,
  };
  return p.id === null && p.username === null && p.email === null ? null : p;
}
