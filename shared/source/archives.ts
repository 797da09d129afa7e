import type { Provider } from '../../events';
import { AZURE_DEVOPS_API_VERSION, GITHUB_API_VERSION } from '../status/providers';
import { pathSegment, repositorySegments, twoSegments } from '../status/providers/repository';

/** Which commit to fetch, from where, with which token. */
export interface ArchiveTarget {
  readonly provider: Provider;
  /** The connection's API base URL, without a trailing slash (the one commit statuses use). */
  readonly apiUrl: string;
  readonly token: string;
  /** `SourceEvent.repository.fullName`. */
  readonly repository: string;
  /** The full commit id. */
  readonly commit: string;
}

/** One GET for a ZIP of the commit's tree; `secrets` are the header values that carry the token. */
export interface ArchiveRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  /** Whether the provider puts every file under one top-level folder (`owner-repo-sha/`), to strip. */
  readonly topFolder: boolean;
}

/** The headers that carry a connection's token to one provider's API, and the values to redact. */
export interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

function withAuthorization(authorization: string, more: Record<string, string> = {}): Credentials {
  return { headers: { authorization, ...more }, secrets: [authorization] };
}

/** How each provider's API takes the token: the same for archives, commits and trees. */
export const CREDENTIALS: Readonly<Record<Provider, (token: string) => Credentials>> = {
  github: (token) =>
    withAuthorization(`Bearer ${token}`, {
      accept: 'application/vnd.github+json',
      'x-github-api-version': GITHUB_API_VERSION,
    }),
  gitlab: (token) => ({ headers: { 'private-token': token }, secrets: [token] }),
  'bitbucket-cloud': (token) => withAuthorization(`Bearer ${token}`),
  'bitbucket-dc': (token) => withAuthorization(`Bearer ${token}`),
  gitea: (token) => withAuthorization(`token ${token}`),
  forgejo: (token) => withAuthorization(`token ${token}`),
  'azure-devops': (token) => withAuthorization(`Basic ${Buffer.from(`:${token}`, 'utf8').toString('base64')}`),
};

/**
 * Bitbucket Cloud serves archives from the web host, not the API: `api.bitbucket.org/2.0` →
 * `https://bitbucket.org`. Any other base (a proxy, the local fake) is used as it is: the token
 * only ever goes where the connection's apiUrl says.
 */
function bitbucketWebUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  return url.protocol === 'https:' && url.hostname === 'api.bitbucket.org' && url.port === ''
    ? 'https://bitbucket.org'
    : apiUrl;
}

/**
 * Each provider's archive API for one commit, as a ZIP: a pure function of the target. Names
 * are checked and percent-encoded as the status adapters do, so a repository name can never
 * add path segments.
 */
export const ARCHIVE_APIS: Readonly<Record<Provider, (t: ArchiveTarget) => ArchiveRequest>> = {
  github(t) {
    const [owner, repo] = twoSegments(t.repository, 'owner/name on GitHub');
    return {
      url: `${t.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/zipball/${t.commit}`,
      ...CREDENTIALS.github(t.token),
      topFolder: true,
    };
  },
  gitlab(t) {
    const path = repositorySegments(t.repository, 'group/project (with any subgroups) on GitLab', 2, 64);
    return {
      url: `${t.apiUrl}/projects/${pathSegment(path.join('/'))}/repository/archive.zip?sha=${t.commit}`,
      ...CREDENTIALS.gitlab(t.token),
      topFolder: true,
    };
  },
  'bitbucket-cloud'(t) {
    const [workspace, slug] = twoSegments(t.repository, 'workspace/repo_slug on Bitbucket Cloud');
    return {
      url: `${bitbucketWebUrl(t.apiUrl)}/${pathSegment(workspace)}/${pathSegment(slug)}/get/${t.commit}.zip`,
      ...CREDENTIALS['bitbucket-cloud'](t.token),
      topFolder: true,
    };
  },
  'bitbucket-dc'(t) {
    const [project, slug] = twoSegments(t.repository, 'PROJECTKEY/slug on Bitbucket Data Center');
    return {
      url: `${t.apiUrl}/rest/api/latest/projects/${pathSegment(project)}/repos/${pathSegment(slug)}/archive?at=${t.commit}&format=zip`,
      ...CREDENTIALS['bitbucket-dc'](t.token),
      topFolder: false,
    };
  },
  gitea: giteaStyle('gitea', 'Gitea'),
  forgejo: giteaStyle('forgejo', 'Forgejo'),
  'azure-devops'(t) {
    const [project, repository] = twoSegments(t.repository, 'project/repository on Azure DevOps');
    const query = new URLSearchParams({
      scopePath: '/',
      recursionLevel: 'Full',
      'versionDescriptor.version': t.commit,
      'versionDescriptor.versionType': 'commit',
      $format: 'zip',
      download: 'true',
      zipForUnix: 'true',
      'api-version': AZURE_DEVOPS_API_VERSION,
    });
    return {
      url: `${t.apiUrl}/${pathSegment(project)}/_apis/git/repositories/${pathSegment(repository)}/items?${query}`,
      ...CREDENTIALS['azure-devops'](t.token),
      topFolder: false,
    };
  },
};

/** Gitea's `GET /repos/{owner}/{repo}/archive/{sha}.zip`, which Forgejo keeps. */
function giteaStyle(provider: 'gitea' | 'forgejo', name: string) {
  return (t: ArchiveTarget): ArchiveRequest => {
    const [owner, repo] = twoSegments(t.repository, `owner/name on ${name}`);
    return {
      url: `${t.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/archive/${t.commit}.zip`,
      ...CREDENTIALS[provider](t.token),
      topFolder: true,
    };
  };
}
