import type { Provider } from '../../../events';
import { azureDevopsStatusApi } from './azure-devops';
import { bitbucketCloudStatusApi } from './bitbucket-cloud';
import { bitbucketDcStatusApi } from './bitbucket-dc';
import { forgejoStatusApi, giteaStatusApi } from './gitea';
import { githubStatusApi } from './github';
import { gitlabStatusApi } from './gitlab';
import type { StatusApi } from './types';

/** Every provider's status API. A full record, so a new provider does not compile until it has one. */
export const STATUS_APIS: Readonly<Record<Provider, StatusApi>> = {
  github: githubStatusApi,
  gitlab: gitlabStatusApi,
  'bitbucket-cloud': bitbucketCloudStatusApi,
  'bitbucket-dc': bitbucketDcStatusApi,
  gitea: giteaStatusApi,
  forgejo: forgejoStatusApi,
  'azure-devops': azureDevopsStatusApi,
};

export { AZURE_DEVOPS_API_VERSION, AZURE_DEVOPS_GENRE } from './azure-devops';
export { BITBUCKET_CLOUD_KEY_MAX } from './bitbucket-cloud';
export { BITBUCKET_DC_KEY_MAX } from './bitbucket-dc';
export { bitbucketKey } from './bitbucket-key';
export { GITHUB_API_VERSION } from './github';
export type { PreparedStatus, StatusApi, StatusRequest } from './types';
