import type { MergedPullRequest } from '../history/pulls';
import type { CommitHistory } from '../history/reader';
import { HistoryError, type RangeCommit } from '../history/types';
import type { TokenSource } from '../secrets/secrets';
import type { StatusApis } from './env';
import type { ChangeHistory, ChangeRangeRequest, PullRequestsRequest } from './ports';

/**
 * A change's commits through its connection: the API URL commit statuses use, the connection's
 * `apiToken`. The same token reports statuses, so it needs read access to the
 * repository as well (most providers' status scopes include it).
 */
export class ConnectionHistoryPort implements ChangeHistory {
  constructor(
    private readonly history: CommitHistory,
    private readonly secrets: TokenSource,
    private readonly apis: StatusApis,
  ) {}

  async pullRequestsOf(request: PullRequestsRequest): Promise<readonly MergedPullRequest[]> {
    const api = this.apis[request.connection];
    if (api === undefined) throw new HistoryError(`the connection ${request.connection} has no API URL configured`);
    const token = (await this.secrets.apiToken(request.secretId)) ?? '';
    return this.history.mergedPullRequests(
      {
        provider: request.provider,
        apiUrl: api.apiUrl.replace(/\/+$/, ''),
        token,
        repository: request.repository,
      },
      request.commits,
    );
  }

  async commitsOf(request: ChangeRangeRequest): Promise<readonly RangeCommit[]> {
    const api = this.apis[request.connection];
    if (api === undefined) throw new HistoryError(`the connection ${request.connection} has no API URL configured`);
    const token = (await this.secrets.apiToken(request.secretId)) ?? '';
    return this.history.commitsBetween({
      provider: request.provider,
      apiUrl: api.apiUrl.replace(/\/+$/, ''),
      token,
      repository: request.repository,
      before: request.before,
      after: request.after,
    });
  }
}
