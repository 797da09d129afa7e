import type { CommitState } from '../types';
import { pathSegment, twoSegments } from './repository';
import type { StatusApi } from './types';

/** The REST API version Gantry is written against; Azure DevOps requires one on every call. */
export const AZURE_DEVOPS_API_VERSION = '7.1';

/** Groups Gantry's statuses in Azure DevOps, which shows them as `genre/name`. */
export const AZURE_DEVOPS_GENRE = 'gantry';

const AZURE_STATES: Readonly<Record<CommitState, string>> = {
  pending: 'pending',
  success: 'succeeded',
  failure: 'failed',
  error: 'error',
};

/**
 * Azure DevOps: `POST {organization URL}/{project}/_apis/git/repositories/{repository}/commits/{commitId}/statuses`.
 * A personal access token goes in Basic credentials with an empty user name.
 */
export const azureDevopsStatusApi: StatusApi = {
  provider: 'azure-devops',
  requiresTargetUrl: false,
  request(status) {
    const [project, repository] = twoSegments(status.repository, 'project/repository on Azure DevOps');
    const authorization = `Basic ${Buffer.from(`:${status.token}`, 'utf8').toString('base64')}`;
    const path = `${pathSegment(project)}/_apis/git/repositories/${pathSegment(repository)}`;
    return {
      url: `${status.apiUrl}/${path}/commits/${status.commit}/statuses?api-version=${AZURE_DEVOPS_API_VERSION}`,
      headers: { authorization },
      secrets: [authorization],
      body: {
        state: AZURE_STATES[status.state],
        description: status.description,
        targetUrl: status.targetUrl,
        context: { name: status.context, genre: AZURE_DEVOPS_GENRE },
      },
    };
  },
};
