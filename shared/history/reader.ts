import { type Delivery, exchange } from '../status/deliver';
import { tokenForms } from '../status/messages';
import { deliveryOf, type HttpCommitStatusReporterOptions } from '../status/reporter';
import { HISTORY_APIS } from './providers';
import { type CommitRange, HistoryError, type RangeCommit } from './types';

/** Past this many commits a change is not one a person reviews; the range is left incomplete. */
export const MAX_RANGE_COMMITS = 10_000;

/** ResolvePlan has 30 s: listing stops well before, so the run is still recorded (with the gap). */
export const DEFAULT_HISTORY_DEADLINE_MS = 20_000;

export interface HttpCommitHistoryOptions extends HttpCommitStatusReporterOptions {
  /** The whole listing, every page and retry included. @default DEFAULT_HISTORY_DEADLINE_MS */
  readonly deadlineMs?: number;
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Port: lists the commits a push added, or throws `HistoryError` saying why it cannot. */
export interface CommitHistory {
  commitsBetween(range: CommitRange): Promise<readonly RangeCommit[]>;
}

/**
 * `CommitHistory` over each provider's REST API, page by page, with the status reporter's
 * timeout and bounded retries. The token is sent only to the connection's API origin and is
 * redacted from every reason; a range it cannot list whole is an error, never a shorter list.
 */
export class HttpCommitHistory implements CommitHistory {
  private readonly delivery: Delivery;
  private readonly deadlineMs: number;

  constructor(options: HttpCommitHistoryOptions = {}) {
    this.delivery = deliveryOf(options);
    this.deadlineMs = options.deadlineMs ?? DEFAULT_HISTORY_DEADLINE_MS;
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
