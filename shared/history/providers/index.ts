import type { Provider } from '../../../events';
import type { HistoryApi } from '../types';
import { azureDevopsHistoryApi } from './azure-devops';
import { bitbucketCloudHistoryApi, bitbucketDcHistoryApi } from './bitbucket';
import { forgejoHistoryApi, giteaHistoryApi } from './gitea';
import { githubHistoryApi } from './github';
import { gitlabHistoryApi } from './gitlab';

/** Every provider's commit history API. A full record, so a new provider does not compile until it has one. */
export const HISTORY_APIS: Readonly<Record<Provider, HistoryApi>> = {
  github: githubHistoryApi,
  gitlab: gitlabHistoryApi,
  'bitbucket-cloud': bitbucketCloudHistoryApi,
  'bitbucket-dc': bitbucketDcHistoryApi,
  gitea: giteaHistoryApi,
  forgejo: forgejoHistoryApi,
  'azure-devops': azureDevopsHistoryApi,
};
