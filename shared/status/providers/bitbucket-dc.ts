import type { CommitState } from '../types';
import { bitbucketKey } from './bitbucket-key';
import { pathSegment, twoSegments } from './repository';
import type { StatusApi } from './types';

/** Data Center limits keys (and names, descriptions) to 255 characters. */
export const BITBUCKET_DC_KEY_MAX = 255;

const BITBUCKET_DC_STATES: Readonly<Record<CommitState, string>> = {
  pending: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
};

/**
 * Bitbucket Data Center: `POST {base}/rest/api/latest/projects/{projectKey}/repos/{slug}/commits/{commit}/builds`,
 * the repository-scoped resource that replaced `/rest/build-status/1.0/commits/{commit}`
 * (deprecated in 7.14). Personal repositories have project keys like `~gopher`, which stay
 * as they are in the path. Answers 204 with no body.
 */
export const bitbucketDcStatusApi: StatusApi = {
  provider: 'bitbucket-dc',
  requiresTargetUrl: true,
  request(status) {
    const [projectKey, slug] = twoSegments(status.repository, 'PROJECTKEY/slug on Bitbucket Data Center');
    const authorization = `Bearer ${status.token}`;
    return {
      url: `${status.apiUrl}/rest/api/latest/projects/${pathSegment(projectKey)}/repos/${pathSegment(slug)}/commits/${status.commit}/builds`,
      headers: { authorization },
      secrets: [authorization],
      body: {
        key: bitbucketKey(status.context, BITBUCKET_DC_KEY_MAX),
        state: BITBUCKET_DC_STATES[status.state],
        name: status.context,
        url: status.targetUrl,
        description: status.description,
      },
    };
  },
};
