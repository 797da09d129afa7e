import { COMMIT_ID } from '../../events';
import { type Delivery, exchange } from '../status/deliver';
import { tokenForms } from '../status/messages';
import { deliveryOf, type HttpCommitStatusReporterOptions } from '../status/reporter';
import { HISTORY_APIS } from './providers';
import { type MergedPullRequest, PULLS_APIS, type PullsTarget } from './pulls';
import type { PullsRequest } from './pulls/types';
import { type CommitRange, HistoryError, type RangeCommit } from './types';

/** Past this many commits a change is not one a person reviews; the range is left incomplete. */
export const MAX_RANGE_COMMITS = 10_000;

/** ResolvePlan has 30 s: listing stops well before, so the run is still recorded (with the gap). */
export const DEFAULT_HISTORY_DEADLINE_MS = 20_000;

/** Past this many commits the pull requests behind a change are not looked up (one request each): refused, not cut short. */
export const MAX_PULL_REQUEST_COMMITS = 100;

/**
 * The pull request look-up's own deadline. ResolvePlan has 30 s: with the commit listing's 20 s
 * this leaves 4 s for the rest of the step (lane reads and the run's record).
 */
export const DEFAULT_PULLS_DEADLINE_MS = 6_000;

export interface HttpCommitHistoryOptions extends HttpCommitStatusReporterOptions {
  /** The whole listing, every page and retry included. @default DEFAULT_HISTORY_DEADLINE_MS */
  readonly deadlineMs?: number;
  /** The whole pull request look-up, every request and retry included. @default DEFAULT_PULLS_DEADLINE_MS */
  readonly pullsDeadlineMs?: number;
}

/** Port: lists the commits a push added, or throws `HistoryError` saying why it cannot. */
export interface CommitHistory {
  commitsBetween(range: CommitRange): Promise<readonly RangeCommit[]>;
  /** The merged pull requests that contain any of `commits` (each once), or throws `HistoryError`. */
  mergedPullRequests(target: PullsTarget, commits: readonly string[]): Promise<readonly MergedPullRequest[]>;
}

/**
 * `CommitHistory` over each provider's REST API, page by page, with the status reporter's
 * timeout and bounded retries. The token is sent only to the connection's API origin and is
 * redacted from every reason; a range it cannot list whole is an error, never a shorter list.
 */
export class HttpCommitHistory implements CommitHistory {
  private readonly delivery: Delivery;
  private readonly deadlineMs: number;
  private readonly pullsDeadlineMs: number;

  constructor(options: HttpCommitHistoryOptions = {}) {
    this.delivery = deliveryOf(options);
    this.deadlineMs = options.deadlineMs ?? DEFAULT_HISTORY_DEADLINE_MS;
    this.pullsDeadlineMs = options.pullsDeadlineMs ?? DEFAULT_PULLS_DEADLINE_MS;
  }

  /**
   * Asks the provider, commit by commit, which merged pull requests contain each one, and reads
   * who opened and who merged them. Fails closed: more than `MAX_PULL_REQUEST_COMMITS` commits,
   * a request that fails, an answer it cannot read or the deadline passing is a `HistoryError`,
   * never a shorter list.
   */
  async mergedPullRequests(target: PullsTarget, commits: readonly string[]): Promise<readonly MergedPullRequest[]> {
    const ids = [...new Set(commits)];
    if (ids.some((id) => !COMMIT_ID.test(id)))
      throw new HistoryError('a commit of the change is not named by its full commit id');
    if (ids.length > MAX_PULL_REQUEST_COMMITS)
      throw new HistoryError(
        `the change adds ${ids.length} commits, more than the ${MAX_PULL_REQUEST_COMMITS} whose pull requests Gantry looks up`,
      );
    if (target.token.trim() === '')
      throw new HistoryError(`the ${target.provider} connection has no apiToken to look up pull requests with`);
    const api = PULLS_APIS[target.provider];
    const secrets = tokenForms(target.token);
    const started = this.delivery.now();
    const found = new Map<string, MergedPullRequest>();
    const send = async (request: PullsRequest, what: string) => {
      if (this.delivery.now() - started > this.pullsDeadlineMs)
        throw new HistoryError(
          `${target.provider} took longer than ${this.pullsDeadlineMs / 1000} s to say which pull requests brought the change`,
        );
      return exchange(
        target.provider,
        {
          method: request.body === undefined ? 'GET' : 'POST',
          url: request.url,
          headers: { 'user-agent': 'gantry', ...request.headers },
          ...(request.body === undefined ? {} : { body: request.body }),
          // No single request outlives the deadline by more than its retries.
          timeoutMs: Math.max(
            1,
            Math.min(this.delivery.timeoutMs, this.pullsDeadlineMs - (this.delivery.now() - started)),
          ),
        },
        [...request.secrets, ...secrets],
        this.delivery,
      ).then((answer) => {
        if ('failed' in answer && !(api.noneOn404 && answer.failed.statusCode === 404))
          throw new HistoryError(`${target.provider} did not say ${what}: ${answer.failed.reason}`);
        return 'failed' in answer ? undefined : answer.response;
      });
    };
    for (const sha of ids) {
      const response = await send(api.request(target, sha), `which pull requests contain ${sha.slice(0, 12)}`);
      for (const pull of response === undefined ? [] : api.read(response, sha)) {
        if (found.has(pull.number)) continue;
        if (api.detail && api.readDetail) {
          const whole = await send(api.detail(target, pull), `who merged pull request #${pull.number}`);
          if (whole === undefined)
            throw new HistoryError(`${target.provider} did not find pull request #${pull.number}`);
          found.set(pull.number, api.readDetail(whole, pull));
        } else found.set(pull.number, pull);
      }
    }
    return [...found.values()];
  }

  async commitsBetween(range: CommitRange): Promise<readonly RangeCommit[]> {
    if (!COMMIT_ID.test(range.before) || !COMMIT_ID.test(range.after))
      throw new HistoryError('the change does not name both ends of its range by full commit id');
    if (range.token.trim() === '')
      throw new HistoryError(`the ${range.provider} connection has no apiToken to read the repository’s history with`);
    const api = HISTORY_APIS[range.provider];
    const secrets = tokenForms(range.token);
    const commits: RangeCommit[] = [];
    const started = this.delivery.now();
    let total: number | undefined;
    for (let page: ReturnType<typeof api.first> | null = api.first(range); page !== null; ) {
      if (this.delivery.now() - started > this.deadlineMs)
        throw new HistoryError(
          `${range.provider} took longer than ${this.deadlineMs / 1000} s to list the change’s commits`,
        );
      const answer = await exchange(
        range.provider,
        {
          method: 'GET',
          url: page.url,
          headers: { 'user-agent': 'gantry', ...page.headers },
          timeoutMs: this.delivery.timeoutMs,
        },
        [...page.secrets, ...secrets],
        this.delivery,
      );
      if ('failed' in answer)
        throw new HistoryError(`${range.provider} did not list the change’s commits: ${answer.failed.reason}`);
      const read = api.read(answer.response, page, range);
      commits.push(...read.commits);
      total = read.total ?? total;
      if (commits.length > MAX_RANGE_COMMITS)
        throw new HistoryError(`the change adds more than ${MAX_RANGE_COMMITS} commits`);
      if (read.next !== null && read.commits.length === 0)
        throw new HistoryError(`${range.provider} gave an empty page that was not the last`);
      page = read.next;
    }
    if (total !== undefined && commits.length < total)
      throw new HistoryError(`${range.provider} listed ${commits.length} of the change’s ${total} commits`);
    return commits;
  }
}
