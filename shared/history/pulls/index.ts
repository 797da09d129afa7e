import type { Provider } from '../../../events';
import { azureDevopsPullsApi } from './azure-devops';
import { bitbucketCloudPullsApi, bitbucketDcPullsApi } from './bitbucket';
import { forgejoPullsApi, giteaPullsApi } from './gitea';
import { githubPullsApi } from './github';
import { gitlabPullsApi } from './gitlab';
import type { PullsApi } from './types';

/** Every provider's "merged pull requests containing a commit" API; a full record, so a new provider needs one. */
export const PULLS_APIS: Readonly<Record<Provider, PullsApi>> = {
  github: githubPullsApi,
  gitlab: gitlabPullsApi,
  'bitbucket-cloud': bitbucketCloudPullsApi,
  'bitbucket-dc': bitbucketDcPullsApi,
  gitea: giteaPullsApi,
  forgejo: forgejoPullsApi,
  'azure-devops': azureDevopsPullsApi,
};

export type { MergedPullRequest, PullRequestPerson, PullsApi, PullsTarget } from './types';
