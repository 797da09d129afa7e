import { pathSegment, twoSegments } from './repository';
import type { StatusApi } from './types';

/** The REST API version Gantry is written against; GitHub answers 400 once it is retired. */
export const GITHUB_API_VERSION = '2022-11-28';

/**
 * GitHub (and GitHub Enterprise Server at `https://host/api/v3`): `POST /repos/{owner}/{repo}/statuses/{sha}`.
 * States are ours as they are; the context distinguishes Gantry's pipelines.
 */
export const githubStatusApi: StatusApi = {
  provider: 'github',
  requiresTargetUrl: false,
  request(status) {
    const [owner, repo] = twoSegments(status.repository, 'owner/name on GitHub');
    const authorization = `Bearer ${status.token}`;
    return {
      url: `${status.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/statuses/${status.commit}`,
      headers: {
        authorization,
        accept: 'application/vnd.github+json',
        'x-github-api-version': GITHUB_API_VERSION,
      },
      secrets: [authorization],
      body: {
        state: status.state,
        target_url: status.targetUrl,
        description: status.description,
        context: status.context,
      },
    };
  },
};
