import { COMMIT_ID, type Provider } from '../../events';
import type { LocalRepositories } from './history';
import { GitTimeout, gitOverObjects } from './objects-git';
import type { FakeCall } from './types';
import { hasBearerOrBasic, headerOf } from './validation';

/** What the fake answers an archive request with: the ZIP's bytes, or an error in the provider's shape. */
export type ArchiveAnswer = { status: 200; zip: Buffer } | { status: number; body: unknown };

/** The credentials a provider's API takes, and its answers without them or for a repository it does not have. */
export interface ProviderAccess {
  authorized(call: FakeCall): boolean;
  readonly unauthorized: unknown;
  readonly notFound: unknown;
}

/** One provider's archive API: the route (owner/name and commit from the call) and the credentials it takes. */
interface ArchiveRoute extends ProviderAccess {
  match(call: FakeCall): { repository: string; commit: string; prefix: (repo: string) => string } | undefined;
}

const SHA = '([0-9a-f]{40}|[0-9a-f]{64})';

function decoded(parts: readonly (string | undefined)[]): string[] | undefined {
  try {
    return parts.map((p) => decodeURIComponent(p ?? ''));
  } catch {
    return undefined;
  }
}

const bearerOrToken = (call: FakeCall) => /^(?:Bearer|token) \S+$/.test(headerOf(call, 'authorization'));

function githubStyle(
  pattern: RegExp,
  prefix: (owner: string, repo: string, sha: string) => string,
): ArchiveRoute['match'] {
  return (call) => {
    const m = decoded(pattern.exec(call.path)?.slice(1) ?? []);
    if (m === undefined || m.length !== 3) return undefined;
    const [owner = '', repo = '', commit = ''] = m;
    return { repository: `${owner}/${repo}`, commit, prefix: () => prefix(owner, repo, commit) };
  };
}

/**
 * The archive APIs `shared/source/archives.ts` calls, faked from each registered repository with
 * `git archive --format=zip`, each with the provider's own top-level folder (or none, as
 * Bitbucket Data Center and Azure DevOps serve the tree at the root) and credentials check.
 */
const ROUTES: Readonly<Record<Provider, ArchiveRoute>> = {
  github: {
    match: githubStyle(
      new RegExp(`^/repos/([^/]+)/([^/]+)/zipball/${SHA}$`),
      (o, r, s) => `${o}-${r}-${s.slice(0, 7)}/`,
    ),
    authorized: bearerOrToken,
    unauthorized: { message: 'Requires authentication' },
    notFound: { message: 'Not Found' },
  },
  gitlab: {
    match(call) {
      const id = /^\/projects\/([^/]+)\/repository\/archive\.zip$/.exec(call.path)?.[1];
      const [project] = decoded([id]) ?? [];
      const commit = call.query.get('sha') ?? '';
      if (id === undefined || project === undefined || !project.includes('/')) return undefined;
      const name = project.split('/').pop() ?? '';
      return { repository: project, commit, prefix: () => `${name}-${commit}-${commit}/` };
    },
    authorized: (call) =>
      headerOf(call, 'private-token').trim() !== '' || /^Bearer \S+$/.test(headerOf(call, 'authorization')),
    unauthorized: { message: '401 Unauthorized' },
    notFound: { message: '404 Project Not Found' },
  },
  'bitbucket-cloud': {
    match: githubStyle(new RegExp(`^/([^/]+)/([^/]+)/get/${SHA}\\.zip$`), (w, r, s) => `${w}-${r}-${s.slice(0, 12)}/`),
    authorized: hasBearerOrBasic,
    unauthorized: { type: 'error', error: { message: 'Unauthorized' } },
    notFound: { type: 'error', error: { message: 'Repository not found' } },
  },
  'bitbucket-dc': {
    match(call) {
      const m = decoded(
        /^\/rest\/api\/latest\/projects\/([^/]+)\/repos\/([^/]+)\/archive$/.exec(call.path)?.slice(1) ?? [],
      );
      if (m?.length !== 2 || call.query.get('format') !== 'zip') return undefined;
      return { repository: `${m[0]}/${m[1]}`, commit: call.query.get('at') ?? '', prefix: () => '' };
    },
    authorized: hasBearerOrBasic,
    unauthorized: { errors: [{ message: 'Authentication failed. Please check your credentials and try again.' }] },
    notFound: { errors: [{ message: 'Repository does not exist.' }] },
  },
  gitea: giteaRoute(),
  forgejo: giteaRoute(),
  'azure-devops': {
    match(call) {
      const m = decoded(/^\/([^/]+)\/_apis\/git\/repositories\/([^/]+)\/items$/.exec(call.path)?.slice(1) ?? []);
      const q = call.query;
      if (m?.length !== 2 || q.get('$format') !== 'zip' || q.get('versionDescriptor.versionType') !== 'commit')
        return undefined;
      if (q.get('api-version') === null) return undefined;
      return { repository: `${m[0]}/${m[1]}`, commit: q.get('versionDescriptor.version') ?? '', prefix: () => '' };
    },
    authorized: hasBearerOrBasic,
    unauthorized: { message: 'TF400813: The user is not authorized.', typeKey: 'UnauthorizedRequestException' },
    notFound: { message: 'TF401019: The Git repository does not exist.', typeKey: 'GitRepositoryNotFoundException' },
  },
};

function giteaRoute(): ArchiveRoute {
  return {
    match: githubStyle(new RegExp(`^/repos/([^/]+)/([^/]+)/archive/${SHA}\\.zip$`), (_o, r) => `${r}/`),
    authorized: bearerOrToken,
    unauthorized: { message: 'token is required' },
    notFound: { message: 'The target couldn\u2019t be found.' },
  };
}

/** How `provider`'s API checks credentials and answers a refusal (the same for its archive and git data APIs). */
export function accessOf(provider: Provider): ProviderAccess {
  return ROUTES[provider];
}

/**
 * The commit's archive from the registered repository, as `provider` serves it: checked in the
 * order the real APIs do (route, credentials, repository, commit). Undefined, at once, when the
 * request is not an archive request (so other calls are answered in the order they came).
 */
export function archiveAnswer(
  repositories: LocalRepositories,
  provider: Provider,
  call: FakeCall,
): Promise<ArchiveAnswer> | undefined {
  if (call.method !== 'GET') return undefined;
  const route = ROUTES[provider];
  const target = route.match(call);
  if (target === undefined) return undefined;
  if (!route.authorized(call)) return Promise.resolve({ status: 401, body: route.unauthorized });
  const dir = repositories.get(`${provider}:${target.repository}`);
  if (dir === undefined || !COMMIT_ID.test(target.commit))
    return Promise.resolve({ status: 404, body: route.notFound });
  const prefix = target.prefix(target.repository);
  return committedArchive(dir, target.commit, prefix).then(
    (zip): ArchiveAnswer => ({ status: 200, zip }),
    (error): ArchiveAnswer =>
      error instanceof GitTimeout
        ? { status: 504, body: { message: error.message } }
        : { status: 404, body: route.notFound },
  );
}

/** `git archive` of a commit as the provider's server makes it: the committed tree, as its own `.gitattributes` shape it. */
function committedArchive(dir: string, commit: string, prefix: string): Promise<Buffer> {
  const args = ['archive', '--format=zip', ...(prefix ? [`--prefix=${prefix}`] : []), `${commit}^{commit}`];
  return gitOverObjects(dir, args, 'buffer');
}
