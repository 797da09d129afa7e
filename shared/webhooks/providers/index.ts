import type { Provider } from '../../../events';
import { azureDevops } from './azure-devops';
import { bitbucketCloud } from './bitbucket-cloud';
import { bitbucketDc } from './bitbucket-dc';
import { forgejo, gitea } from './gitea';
import { github } from './github';
import { gitlab } from './gitlab';
import type { ProviderAdapter } from './types';

/**
 * Every provider Gantry accepts, by the `{provider}` path segment of the webhook URL. A full
 * record, so adding a provider to the schema does not compile until it has an adapter.
 */
export const PROVIDER_ADAPTERS: Readonly<Record<Provider, ProviderAdapter>> = {
  github,
  gitlab,
  'bitbucket-cloud': bitbucketCloud,
  'bitbucket-dc': bitbucketDc,
  gitea,
  forgejo,
  'azure-devops': azureDevops,
};

export type { ProviderAdapter, Verification } from './types';
