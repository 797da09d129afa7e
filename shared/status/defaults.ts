import { PROVIDERS, type Provider } from '../../events';
import { ApiUrlRequiredError } from './errors';

/**
 * API base URLs of the hosted services. Bitbucket Data Center, Gitea and Forgejo are
 * self-hosted and Azure DevOps URLs name the organization, so they have none: a connection to
 * one of them must set `apiUrl` (config validation reads `PROVIDERS_REQUIRING_API_URL`).
 */
export const DEFAULT_API_URLS = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com/api/v4',
  'bitbucket-cloud': 'https://api.bitbucket.org/2.0',
  'bitbucket-dc': undefined,
  gitea: undefined,
  forgejo: undefined,
  'azure-devops': undefined,
} as const satisfies Record<Provider, string | undefined>;

/** Providers whose connections must set `apiUrl`, because no default could be right. */
export const PROVIDERS_REQUIRING_API_URL: readonly Provider[] = PROVIDERS.filter(
  (provider) => DEFAULT_API_URLS[provider] === undefined,
);

/**
 * What an `apiUrl` looks like for each provider, for config docs and error messages: GitHub
 * Enterprise Server and self-managed GitLab take their API root, Bitbucket Data Center its base
 * URL (Gantry appends `/rest/api/latest`), Azure DevOps the organization (or collection) URL.
 */
export const API_URL_EXAMPLES: Readonly<Record<Provider, string>> = {
  github: 'https://github.example.com/api/v3',
  gitlab: 'https://gitlab.example.com/api/v4',
  'bitbucket-cloud': 'https://api.bitbucket.org/2.0',
  'bitbucket-dc': 'https://bitbucket.example.com',
  gitea: 'https://gitea.example.com/api/v1',
  forgejo: 'https://codeberg.org/api/v1',
  'azure-devops': 'https://dev.azure.com/my-organization',
};

/** The configured API URL, or the provider's default; throws `ApiUrlRequiredError` when there is neither. */
export function apiUrlFor(provider: Provider, configured?: string): string {
  const url = configured ?? DEFAULT_API_URLS[provider];
  if (url === undefined || url === '') throw new ApiUrlRequiredError(provider);
  return url;
}
