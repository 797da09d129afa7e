import { COMMIT_ID, type Provider } from '../../events';
import { accessOf } from './archive';
import type { LocalRepositories } from './history';
import { GitTimeout, gitOverObjects } from './objects-git';
import type { FakeCall } from './types';

/** A git data answer: JSON in the provider's shape, or a file's raw bytes. */
export type GitDataAnswer = { status: number; body: unknown } | { status: 200; raw: Buffer };

/** One git object of a listing, as `git ls-tree` prints it. */
interface Listed {
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly id: string;
  readonly path: string;
}

/** What a route asks git for, from the registered repository in `dir`. */
type Handler = (dir: string) => Promise<GitDataAnswer>;

/** One provider's git data route: the repository (`owner/name`) the call names, and what to answer. */
type Route = (call: FakeCall) => { repository: string; handle: Handler } | undefined;

const OBJECT = '([0-9a-f]{40}|[0-9a-f]{64})';

function decoded(parts: readonly (string | undefined)[]): string[] | undefined {
  try {
    return parts.map((p) => decodeURIComponent(p ?? ''));
  } catch {
    return undefined;
  }
}

function git(dir: string, ...args: string[]): Promise<string> {
  return gitOverObjects(dir, args, 'utf8');
}

/** `git ls-tree -z` of `treeish` (with `-r -t` when recursive), read as objects. */
async function lsTree(dir: string, treeish: string, recursive = false): Promise<Listed[]> {
  const out = await git(dir, 'ls-tree', '-z', ...(recursive ? ['-r', '-t'] : []), '--end-of-options', treeish);
  return out
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', id = ''] = line.slice(0, tab).split(' ');
      return { mode, type: type as Listed['type'], id, path: line.slice(tab + 1) };
    });
}

/** The tree of a commit, as `git rev-parse <sha>^{tree}` computes it. */
const treeOf = async (dir: string, commit: string) =>
  (await git(dir, 'rev-parse', '--verify', '--end-of-options', `${commit}^{tree}`)).trim();

/** A blob's bytes, as `git cat-file blob <sha>` reads them. */
const blobOf = (dir: string, sha: string) => gitOverObjects(dir, ['cat-file', 'blob', sha], 'buffer');

/**
 * GitHub's and Gitea's `git/commits/{sha}`, `git/trees/{sha}` (Gitea's paged, as its API pages
 * them) and `git/blobs/{sha}` (base64 in JSON).
 */
function githubStyle(shape: 'github' | 'gitea'): Route {
  return (call) => {
    const m = decoded(
      new RegExp(`^/repos/([^/]+)/([^/]+)/git/(commits|trees|blobs)/${OBJECT}$`).exec(call.path)?.slice(1) ?? [],
    );
    if (m?.length !== 4) return undefined;
    const [owner, repo, kind, sha = ''] = m;
    const repository = `${owner}/${repo}`;
    if (kind === 'blobs')
      return {
        repository,
        handle: async (dir) => {
          const bytes = await blobOf(dir, sha);
          return {
            status: 200,
            body: { sha, size: bytes.length, encoding: 'base64', content: bytes.toString('base64') },
          };
        },
      };
    if (kind === 'commits')
      return {
        repository,
        handle: async (dir) => {
          const tree = await treeOf(dir, sha);
          return {
            status: 200,
            body: shape === 'github' ? { sha, tree: { sha: tree } } : { sha, commit: { tree: { sha: tree } } },
          };
        },
      };
    return {
      repository,
      handle: async (dir) => {
        const all = (await lsTree(dir, sha)).map((e) => ({ path: e.path, mode: e.mode, type: e.type, sha: e.id }));
        if (shape === 'github') return { status: 200, body: { sha, tree: all, truncated: false } };
        const perPage = Math.min(1000, Number(call.query.get('per_page') ?? 1000) || 1000);
        const page = Math.max(1, Number(call.query.get('page') ?? 1) || 1);
        const tree = all.slice((page - 1) * perPage, page * perPage);
        return {
          status: 200,
          body: { sha, tree, truncated: page * perPage < all.length, page, total_count: all.length },
        };
      },
    };
  };
}

/** GitLab's `repository/tree?ref=&path=&per_page=&page=`: a folder's entries, with ids and modes; `repository/blobs/{sha}/raw`. */
const gitlab: Route = (call) => {
  const blob = new RegExp(`^/projects/([^/]+)/repository/blobs/${OBJECT}/raw$`).exec(call.path);
  const [blobProject] = decoded([blob?.[1]]) ?? [];
  if (blob !== null && blobProject?.includes('/'))
    return { repository: blobProject, handle: async (dir) => ({ status: 200, raw: await blobOf(dir, blob[2] ?? '') }) };
  const id = /^\/projects\/([^/]+)\/repository\/tree$/.exec(call.path)?.[1];
  const [project] = decoded([id]) ?? [];
  const ref = call.query.get('ref') ?? '';
  if (project === undefined || !project.includes('/') || !COMMIT_ID.test(ref)) return undefined;
  const path = (call.query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
  const perPage = Math.min(100, Number(call.query.get('per_page') ?? 20) || 20);
  const page = Math.max(1, Number(call.query.get('page') ?? 1) || 1);
  return {
    repository: project,
    handle: async (dir) => {
      const entries = await lsTree(dir, path === '' ? `${ref}^{tree}` : `${ref}:${path}`);
      const shown = entries.slice((page - 1) * perPage, page * perPage).map((e) => ({
        id: e.id,
        name: e.path,
        type: e.type,
        path: path === '' ? e.path : `${path}/${e.path}`,
        mode: e.mode,
      }));
      return { status: 200, body: shown };
    },
  };
};

/** Azure DevOps' `commits/{id}` (`treeId`), `trees/{id}` (`treeEntries`) and `blobs/{id}?$format=octetstream`. */
const azureDevops: Route = (call) => {
  const m = decoded(
    new RegExp(`^/([^/]+)/_apis/git/repositories/([^/]+)/(commits|trees|blobs)/${OBJECT}$`).exec(call.path)?.slice(1) ??
      [],
  );
  if (m?.length !== 4 || call.query.get('api-version') === null) return undefined;
  const [project, repo, kind, sha = ''] = m;
  if (kind === 'blobs' && call.query.get('$format') !== 'octetstream') return undefined;
  return {
    repository: `${project}/${repo}`,
    handle: async (dir) => {
      if (kind === 'blobs') return { status: 200, raw: await blobOf(dir, sha) };
      if (kind === 'commits') return { status: 200, body: { commitId: sha, treeId: await treeOf(dir, sha) } };
      const treeEntries = (await lsTree(dir, sha)).map((e) => ({
        objectId: e.id,
        relativePath: e.path,
        // Azure DevOps writes modes as git's tree objects do: `40000`, not `040000`.
        mode: e.mode.replace(/^0/, ''),
        gitObjectType: e.type,
      }));
      return { status: 200, body: { objectId: sha, treeEntries } };
    },
  };
};

/** Bitbucket Data Center's `files?at=` (every file path, paged) and `raw/{path}?at=`. */
const bitbucketDc: Route = (call) => {
  const m = /^\/rest\/api\/latest\/projects\/([^/]+)\/repos\/([^/]+)\/(files|raw\/.+)$/.exec(call.path);
  const parts = decoded([m?.[1], m?.[2]]);
  const at = call.query.get('at') ?? '';
  if (m === null || parts === undefined || !COMMIT_ID.test(at)) return undefined;
  const repository = `${parts[0]}/${parts[1]}`;
  if (m[3] !== 'files') {
    const path = decoded((m[3] ?? '').slice('raw/'.length).split('/'))?.join('/') ?? '';
    return { repository, handle: (dir) => rawFile(dir, at, path) };
  }
  const start = Math.max(0, Number(call.query.get('start') ?? 0) || 0);
  const limit = Math.min(1000, Number(call.query.get('limit') ?? 25) || 25);
  return {
    repository,
    handle: async (dir) => {
      const files = (await lsTree(dir, at, true)).filter((e) => e.type === 'blob').map((e) => e.path);
      const values = files.slice(start, start + limit);
      const isLastPage = start + limit >= files.length;
      return {
        status: 200,
        body: {
          values,
          size: values.length,
          start,
          limit,
          isLastPage,
          ...(isLastPage ? {} : { nextPageStart: start + limit }),
        },
      };
    },
  };
};

/** Bitbucket Cloud's `src/{commit}/{path}`: a folder's listing (recursive to `max_depth`, paged) or a file's bytes. */
function bitbucketCloud(apiUrl: string): Route {
  return (call) => {
    const m = new RegExp(`^/repositories/([^/]+)/([^/]+)/src/${OBJECT}/(.*)$`).exec(call.path);
    const parts = decoded([m?.[1], m?.[2], ...(m?.[4] ?? '').split('/')]);
    if (m === null || parts === undefined) return undefined;
    const [workspace, slug, ...segments] = parts;
    const commit = m[3] ?? '';
    const path = segments.filter((s) => s !== '').join('/');
    const folder = (m[4] ?? '') === '' || (m[4] ?? '').endsWith('/');
    return {
      repository: `${workspace}/${slug}`,
      handle: (dir) =>
        folder ? cloudListing(dir, commit, path, call, `${apiUrl}${call.path}`) : rawFile(dir, commit, path),
    };
  };
}

async function cloudListing(
  dir: string,
  commit: string,
  path: string,
  call: FakeCall,
  self: string,
): Promise<GitDataAnswer> {
  const maxDepth = Math.max(1, Number(call.query.get('max_depth') ?? 1) || 1);
  const pagelen = Math.min(100, Number(call.query.get('pagelen') ?? 10) || 10);
  const page = Math.max(1, Number(call.query.get('page') ?? 1) || 1);
  const listed = await lsTree(dir, path === '' ? `${commit}^{tree}` : `${commit}:${path}`, true);
  const all = listed
    .filter((e) => e.path.split('/').length <= maxDepth)
    .map((e) => ({
      type: e.type === 'tree' ? 'commit_directory' : 'commit_file',
      path: path === '' ? e.path : `${path}/${e.path}`,
    }));
  const values = all.slice((page - 1) * pagelen, page * pagelen);
  const more = page * pagelen < all.length;
  const next = new URLSearchParams(call.query);
  next.set('page', String(page + 1));
  return { status: 200, body: { values, pagelen, page, ...(more ? { next: `${self}?${next}` } : {}) } };
}

async function rawFile(dir: string, commit: string, path: string): Promise<GitDataAnswer> {
  const raw = await gitOverObjects(dir, ['cat-file', 'blob', `${commit}:${path}`], 'buffer');
  return { status: 200, raw };
}

function routeOf(provider: Provider, apiUrl: string): Route {
  switch (provider) {
    case 'github':
      return githubStyle('github');
    case 'gitea':
    case 'forgejo':
      return githubStyle('gitea');
    case 'gitlab':
      return gitlab;
    case 'azure-devops':
      return azureDevops;
    case 'bitbucket-dc':
      return bitbucketDc;
    case 'bitbucket-cloud':
      return bitbucketCloud(apiUrl);
  }
}

/**
 * The git data APIs `shared/source/trees.ts` and `attributes.ts` call, answered from the
 * registered repository by git over its objects alone: a commit's tree id as `git rev-parse
 * <sha>^{tree}` computes it, a tree's entries as `git ls-tree` lists them, a file's or a blob's
 * committed bytes as `git cat-file` reads them. Undefined, at once, when the call is not one of them.
 * `apiUrl` is where this provider's fake is served (for Bitbucket Cloud's `next` links).
 */
export function gitDataAnswer(
  repositories: LocalRepositories,
  provider: Provider,
  call: FakeCall,
  apiUrl: string,
): Promise<GitDataAnswer> | undefined {
  if (call.method !== 'GET') return undefined;
  const target = routeOf(provider, apiUrl)(call);
  if (target === undefined) return undefined;
  const access = accessOf(provider);
  if (!access.authorized(call)) return Promise.resolve({ status: 401, body: access.unauthorized });
  const dir = repositories.get(`${provider}:${target.repository}`);
  if (dir === undefined) return Promise.resolve({ status: 404, body: access.notFound });
  return target
    .handle(dir)
    .catch(
      (error): GitDataAnswer =>
        error instanceof GitTimeout
          ? { status: 504, body: { message: error.message } }
          : { status: 404, body: access.notFound },
    );
}
