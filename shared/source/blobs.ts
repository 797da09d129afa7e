import type { Provider } from '../../events';
import { AZURE_DEVOPS_API_VERSION } from '../status/providers';
import { pathSegment, repositorySegments, twoSegments } from '../status/providers/repository';
import type { ApiGet } from './api';
import { type ArchiveTarget, CREDENTIALS } from './archives';

/**
 * A provider's API for one blob's committed bytes, by its id: the request, and how its answer
 * holds the bytes (undefined for an answer not in the provider's shape, which the caller refuses).
 */
export interface BlobApi {
  readonly get: (t: ArchiveTarget, id: string) => ApiGet;
  readonly read: (body: Buffer) => Buffer | undefined;
}

/** The bytes themselves (GitLab's `…/raw`, Azure DevOps' `octetstream`). */
const raw = (body: Buffer) => body;

/** GitHub's and Gitea's `{"content": <base64>, "encoding": "base64"}`. */
function base64Content(body: Buffer): Buffer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const { content, encoding } = (parsed ?? {}) as { content?: unknown; encoding?: unknown };
  if (encoding !== 'base64' || typeof content !== 'string') return undefined;
  return Buffer.from(content.replace(/\s+/g, ''), 'base64');
}

/** GitHub's `git/blobs/{sha}`, which Gitea and Forgejo keep. */
function githubStyle(provider: 'github' | 'gitea' | 'forgejo', name: string): BlobApi {
  return {
    get(t, id) {
      const [owner, repo] = twoSegments(t.repository, `owner/name on ${name}`);
      return {
        url: `${t.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/git/blobs/${id}`,
        ...CREDENTIALS[provider](t.token),
      };
    },
    read: base64Content,
  };
}

/**
 * The blob APIs of the providers whose git data API names blob ids. Bitbucket Cloud and Data
 * Center have none (their APIs serve files by path, never by blob id).
 */
export const BLOB_APIS: Readonly<Record<Provider, BlobApi | undefined>> = {
  github: githubStyle('github', 'GitHub'),
  gitea: githubStyle('gitea', 'Gitea'),
  forgejo: githubStyle('forgejo', 'Forgejo'),
  gitlab: {
    get(t, id) {
      const project = repositorySegments(t.repository, 'group/project (with any subgroups) on GitLab', 2, 64);
      return {
        url: `${t.apiUrl}/projects/${pathSegment(project.join('/'))}/repository/blobs/${id}/raw`,
        ...CREDENTIALS.gitlab(t.token),
      };
    },
    read: raw,
  },
  'azure-devops': {
    get(t, id) {
      const [project, repository] = twoSegments(t.repository, 'project/repository on Azure DevOps');
      const query = new URLSearchParams({ $format: 'octetstream', 'api-version': AZURE_DEVOPS_API_VERSION });
      return {
        url: `${t.apiUrl}/${pathSegment(project)}/_apis/git/repositories/${pathSegment(repository)}/blobs/${id}?${query}`,
        ...CREDENTIALS['azure-devops'](t.token),
      };
    },
    read: raw,
  },
  'bitbucket-cloud': undefined,
  'bitbucket-dc': undefined,
};
