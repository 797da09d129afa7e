import type { CommitState } from '../types';
import { pathSegment, repositorySegments } from './repository';
import type { StatusApi } from './types';

/** GitLab has no "error": a status that could not be decided is shown failed. */
const GITLAB_STATES: Readonly<Record<CommitState, string>> = {
  pending: 'pending',
  success: 'success',
  failure: 'failed',
  error: 'failed',
};

/**
 * GitLab: `POST /projects/{id}/statuses/{sha}` where the id is the project's full path,
 * URL-encoded as one segment (`group%2Fsub%2Fproject`), so subgroups need no lookup.
 */
export const gitlabStatusApi: StatusApi = {
  provider: 'gitlab',
  requiresTargetUrl: false,
  request(status) {
    const path = repositorySegments(status.repository, 'group/project (with any subgroups) on GitLab', 2, 64);
    const project = pathSegment(path.join('/'));
    return {
      url: `${status.apiUrl}/projects/${project}/statuses/${status.commit}`,
      headers: { 'private-token': status.token },
      secrets: [status.token],
      body: {
        state: GITLAB_STATES[status.state],
        name: status.context,
        target_url: status.targetUrl,
        description: status.description,
      },
    };
  },
};
