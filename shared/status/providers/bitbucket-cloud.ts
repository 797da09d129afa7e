import type { CommitState } from '../types';
import { bitbucketKey } from './bitbucket-key';
import { pathSegment, twoSegments } from './repository';
import type { StatusApi } from './types';

/** Bitbucket Cloud refuses longer keys with a 400. */
export const BITBUCKET_CLOUD_KEY_MAX = 40;

const BITBUCKET_STATES: Readonly<Record<CommitState, string>> = {
  pending: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
};

/**
 * Bitbucket Cloud: `POST /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build`.
 * The key identifies the status (a later report with the same key replaces it), the name shows
 * the whole context, and `url` is required. `STOPPED` means a build was stopped, which no
 * Gantry state says, so errors are reported as FAILED.
 */
export const bitbucketCloudStatusApi: StatusApi = {
  provider: 'bitbucket-cloud',
  requiresTargetUrl: true,
  request(status) {
    const [workspace, slug] = twoSegments(status.repository, 'workspace/repo_slug on Bitbucket Cloud');
    const authorization = `Bearer ${status.token}`;
    return {
      url: `${status.apiUrl}/repositories/${pathSegment(workspace)}/${pathSegment(slug)}/commit/${status.commit}/statuses/build`,
      headers: { authorization },
      secrets: [authorization],
      body: {
        key: bitbucketKey(status.context, BITBUCKET_CLOUD_KEY_MAX),
        state: BITBUCKET_STATES[status.state],
        name: status.context,
        url: status.targetUrl,
        description: status.description,
      },
    };
  },
};
