import type { Provider } from '../../../events';
import { pathSegment, twoSegments } from './repository';
import type { StatusApi } from './types';

/**
 * Gitea's API, which Forgejo keeps: `POST /repos/{owner}/{repo}/statuses/{sha}` with GitHub's
 * state names (plus `warning`, which Gantry does not use) and `Authorization: token …`.
 */
function giteaStyle(provider: Extract<Provider, 'gitea' | 'forgejo'>, name: string): StatusApi {
  return {
    provider,
    requiresTargetUrl: false,
    request(status) {
      const [owner, repo] = twoSegments(status.repository, `owner/name on ${name}`);
      const authorization = `token ${status.token}`;
      return {
        url: `${status.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/statuses/${status.commit}`,
        headers: { authorization },
        secrets: [authorization],
        body: {
          state: status.state,
          context: status.context,
          description: status.description,
          target_url: status.targetUrl,
        },
      };
    },
  };
}

/** Gitea's commit status API. */
export const giteaStatusApi: StatusApi = giteaStyle('gitea', 'Gitea');
/** Forgejo's, which it kept from Gitea; a provider of its own because webhooks and names differ. */
export const forgejoStatusApi: StatusApi = giteaStyle('forgejo', 'Forgejo');
