import type { Provider } from '../../../events';
import type { ProviderFake } from '../types';
import { azureDevopsFake } from './azure-devops';
import { bitbucketCloudFake } from './bitbucket-cloud';
import { bitbucketDcFake } from './bitbucket-dc';
import { forgejoFake, giteaFake } from './gitea';
import { githubFake } from './github';
import { gitlabFake } from './gitlab';

/** Every provider's fake, by the path prefix it is served under. A full record, so a new provider needs a fake. */
export const PROVIDER_FAKES: Readonly<Record<Provider, ProviderFake>> = {
  github: githubFake,
  gitlab: gitlabFake,
  'bitbucket-cloud': bitbucketCloudFake,
  'bitbucket-dc': bitbucketDcFake,
  gitea: giteaFake,
  forgejo: forgejoFake,
  'azure-devops': azureDevopsFake,
};
