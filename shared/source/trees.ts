import type { Provider } from '../../events';
import { AZURE_DEVOPS_API_VERSION } from '../status/providers';
import { pathSegment, repositorySegments, twoSegments } from '../status/providers/repository';
import type { ApiGet } from './api';
import { type ArchiveTarget, CREDENTIALS } from './archives';
import { GIT_MODES, type GitMode, type GitTreeEntry } from './git-tree';

/** A folder of the commit: its path from the root (`''` for the root) and, where known, its tree id. */
export interface Folder {
  readonly path: string;
  readonly id: string | undefined;
}

/** One page of a folder's entries; `more` when the provider has another page. */
export interface EntriesPage {
  readonly entries: readonly GitTreeEntry[];
  readonly more: boolean;
}

/**
 * A provider's git data API: the commit's root tree id (where its commit API says it), and one
 * page of a folder's entries (name, mode and object id each). Every parse answers undefined for
 * an answer that is not in the provider's shape, which the caller refuses.
 */
export interface TreeApi {
  /** Absent where the commit API names no tree (GitLab): the root's id is then computed from its entries. */
  readonly commitTree?: {
    readonly get: (t: ArchiveTarget) => ApiGet;
    readonly read: (body: unknown) => string | undefined;
  };
  readonly entries: {
    /** Whether the API lists a folder by its path (at the commit) rather than by its tree id. */
    readonly byPath: boolean;
    readonly get: (t: ArchiveTarget, folder: Folder, page: number) => ApiGet;
    readonly read: (body: unknown) => EntriesPage | undefined;
  };
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

function objectId(value: unknown): string | undefined {
  return typeof value === 'string' && OBJECT_ID.test(value.toLowerCase()) ? value.toLowerCase() : undefined;
}

/** `040000`, `40000`, `100644`…: the mode as a tree object writes it, or undefined for any other. */
export function gitMode(value: unknown): GitMode | undefined {
  const text = typeof value === 'number' ? value.toString(8) : value;
  if (typeof text !== 'string' || !/^[0-7]{5,6}$/.test(text)) return undefined;
  const mode = Number.parseInt(text, 8).toString(8);
  return GIT_MODES.has(mode) ? (mode as GitMode) : undefined;
}

/** Entries read from `items`, each with its name, mode and id under the given keys; undefined if any is not. */
function entriesOf(items: unknown, keys: { name: string; mode: string; id: string }): GitTreeEntry[] | undefined {
  if (!Array.isArray(items)) return undefined;
  const entries: GitTreeEntry[] = [];
  for (const item of items) {
    const name = field(item, keys.name);
    const mode = gitMode(field(item, keys.mode));
    const id = objectId(field(item, keys.id));
    if (typeof name !== 'string' || name === '' || name.includes('/') || mode === undefined || id === undefined)
      return undefined;
    entries.push({ name, mode, id });
  }
  return entries;
}

/** The folder's tree id, which an API listing by id needs (the caller only ever lists a folder it knows). */
function idOf(folder: Folder): string {
  return folder.id ?? '';
}

/** GitHub's `git/commits/{sha}` → `tree.sha`; `git/trees/{sha}` → `tree[]` (never paged; `truncated` past its limits). */
function githubStyle(provider: 'github' | 'gitea' | 'forgejo', name: string, pageSize?: number): TreeApi {
  const base = (t: ArchiveTarget) => {
    const [owner, repo] = twoSegments(t.repository, `owner/name on ${name}`);
    return `${t.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/git`;
  };
  return {
    commitTree: {
      get: (t) => ({
        url: `${base(t)}/commits/${t.commit}${provider === 'github' ? '' : '?stat=false&verification=false&files=false'}`,
        ...CREDENTIALS[provider](t.token),
      }),
      // GitHub answers a git commit (`tree.sha`); Gitea and Forgejo a repository commit (`commit.tree.sha`).
      read: (body) => objectId(field(body, 'tree', 'sha')) ?? objectId(field(body, 'commit', 'tree', 'sha')),
    },
    entries: {
      byPath: false,
      get: (t, folder, page) => ({
        url: `${base(t)}/trees/${idOf(folder)}${pageSize === undefined ? '' : `?page=${page}&per_page=${pageSize}`}`,
        ...CREDENTIALS[provider](t.token),
      }),
      read(body) {
        const entries = entriesOf(field(body, 'tree'), { name: 'path', mode: 'mode', id: 'sha' });
        const truncated = field(body, 'truncated') === true;
        if (entries === undefined || (truncated && pageSize === undefined)) return undefined;
        return { entries, more: truncated };
      },
    },
  };
}

const GITLAB_PAGE = 100;

/** GitLab: no tree id in its commit API, but `repository/tree` lists a folder's entries with their ids and modes. */
const gitlab: TreeApi = {
  entries: {
    byPath: true,
    get(t, folder, page) {
      const project = repositorySegments(t.repository, 'group/project (with any subgroups) on GitLab', 2, 64);
      const query = new URLSearchParams({ ref: t.commit, per_page: String(GITLAB_PAGE), page: String(page) });
      if (folder.path !== '') query.set('path', folder.path);
      return {
        url: `${t.apiUrl}/projects/${pathSegment(project.join('/'))}/repository/tree?${query}`,
        ...CREDENTIALS.gitlab(t.token),
      };
    },
    read(body) {
      const entries = entriesOf(body, { name: 'name', mode: 'mode', id: 'id' });
      return entries === undefined ? undefined : { entries, more: entries.length === GITLAB_PAGE };
    },
  },
};

/** Azure DevOps: `commits/{id}` → `treeId`; `trees/{id}` → `treeEntries[]`. */
const azureDevops: TreeApi = (() => {
  const base = (t: ArchiveTarget) => {
    const [project, repository] = twoSegments(t.repository, 'project/repository on Azure DevOps');
    return `${t.apiUrl}/${pathSegment(project)}/_apis/git/repositories/${pathSegment(repository)}`;
  };
  const version = `api-version=${AZURE_DEVOPS_API_VERSION}`;
  return {
    commitTree: {
      get: (t) => ({ url: `${base(t)}/commits/${t.commit}?${version}`, ...CREDENTIALS['azure-devops'](t.token) }),
      read: (body) => objectId(field(body, 'treeId')),
    },
    entries: {
      byPath: false,
      get: (t, folder) => ({
        url: `${base(t)}/trees/${idOf(folder)}?${version}`,
        ...CREDENTIALS['azure-devops'](t.token),
      }),
      read(body) {
        const entries = entriesOf(field(body, 'treeEntries'), { name: 'relativePath', mode: 'mode', id: 'objectId' });
        return entries === undefined ? undefined : { entries, more: false };
      },
    },
  };
})();

/**
 * The git data API of each provider that has one. Bitbucket Cloud and Data Center have none:
 * their APIs name no tree or blob ids (see `attributes.ts` for what Gantry checks there instead).
 */
export const TREE_APIS: Readonly<Record<Provider, TreeApi | undefined>> = {
  github: githubStyle('github', 'GitHub'),
  gitea: githubStyle('gitea', 'Gitea', 1000),
  forgejo: githubStyle('forgejo', 'Forgejo', 1000),
  gitlab,
  'azure-devops': azureDevops,
  'bitbucket-cloud': undefined,
  'bitbucket-dc': undefined,
};
