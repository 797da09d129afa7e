import type { Provider } from '../../../events';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import { type HistoryApi, HistoryError } from '../types';
import { answerOf } from './common';
import { CompareAnswer, compareCommit } from './github';

/**
 * Gitea's compare API, which Forgejo keeps: `GET /repos/{owner}/{repo}/compare/{before}...{after}`
 * in GitHub's shape, unpaged. An answer that lists fewer commits than its `total_commits` is
 * refused rather than taken as the whole range.
 */
function giteaStyle(provider: Extract<Provider, 'gitea' | 'forgejo'>, name: string): HistoryApi {
  return {
    provider,
    namesCommitters: true,
    first(range) {
      const [owner, repo] = twoSegments(range.repository, `owner/name on ${name}`);
      const authorization = `token ${range.token}`;
      return {
        url: `${range.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/compare/${range.before}...${range.after}`,
        headers: { authorization },
        secrets: [authorization],
      };
    },
    read(response) {
      const answer = answerOf(response, CompareAnswer, `${name}’s compare API`);
      if (answer.commits.length < answer.total_commits)
        throw new HistoryError(
          `${name}’s compare API listed ${answer.commits.length} of ${answer.total_commits} commits`,
        );
      return { commits: answer.commits.map(compareCommit), next: null };
    },
  };
}

export const giteaHistoryApi: HistoryApi = giteaStyle('gitea', 'Gitea');
export const forgejoHistoryApi: HistoryApi = giteaStyle('forgejo', 'Forgejo');
