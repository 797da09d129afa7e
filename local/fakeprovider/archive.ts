import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Provider } from '../../events';
import type { LocalRepositories } from './history';
import type { FakeCall } from './types';
import { hasBearerOrBasic, headerOf } from './validation';

const execFileAsync = promisify(execFile);

/** What the fake answers an archive request with: the ZIP's bytes, or an error in the provider's shape. */
export type ArchiveAnswer = { status: 200; zip: Buffer } | { status: number; body: unknown };

/** One provider's archive API: the route (owner/name and commit from the call) and the credentials it takes. */
interface ArchiveRoute {
  match(call: FakeCall): { repository: string; commit: string; prefix: (repo: string) => string } | undefined;
  authorized(call: FakeCall): boolean;
  unauthorized: unknown;
  notFound: unknown;
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
  if (dir === undefined || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(target.commit))
    return Promise.resolve({ status: 404, body: route.notFound });
  const prefix = target.prefix(target.repository);
  return committedArchive(dir, target.commit, prefix).then(
    (zip): ArchiveAnswer => ({ status: 200, zip }),
    (): ArchiveAnswer => ({ status: 404, body: route.notFound }),
  );
}

/**
 * `git archive` of a commit as a provider's server makes it: the committed bytes, whatever this
 * machine's git config says. A filter driver (`filter.<name>.smudge`/`process`, git-lfs's among
 * them) would run its command and serve what it printed, `core.autocrlf` would rewrite line
 * endings, and a personal attributes file (`core.attributesFile`) could leave files out, so none
 * applies; the tree's own attributes (export-ignore, export-subst, eol) do, as they do on the
 * provider. (The repository's `.git/info/attributes` still applies: git has no switch for it.) Run off the event loop: the whole control plane (front door, edge,
 * state machines) shares it, and a large repository's archive takes seconds.
 */
async function committedArchive(dir: string, commit: string, prefix: string): Promise<Buffer> {
  const { stdout } = await execFileAsync(
    'git',
    [
      '--no-replace-objects',
      '-c',
      'core.autocrlf=false',
      '-c',
      'core.eol=lf',
      '-c',
      'core.attributesFile=/dev/null',
      ...(await filterDriversOff(dir)),
      'archive',
      '--format=zip',
      ...(prefix ? [`--prefix=${prefix}`] : []),
      `${commit}^{commit}`,
    ],
    { cwd: dir, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
  );
  return stdout;
}

/** `-c` settings that turn off every filter driver the repository's config (any level) defines. */
async function filterDriversOff(dir: string): Promise<string[]> {
  let listed: string;
  try {
    ({ stdout: listed } = await execFileAsync('git', ['config', '--null', '--get-regexp', '^filter\\.'], {
      cwd: dir,
      encoding: 'utf8',
    }));
  } catch (error) {
    // git config exits 1 when nothing matches; anything else leaves the drivers unknown: no archive.
    if ((error as { code?: unknown }).code === 1) return [];
    throw error;
  }
  const drivers = new Set(
    listed
      .split('\0')
      .map((entry) => entry.split('\n', 1)[0] ?? '')
      .filter((key) => key.startsWith('filter.') && key.lastIndexOf('.') > 'filter.'.length)
      .map((key) => key.slice('filter.'.length, key.lastIndexOf('.'))),
  );
  return [...drivers].flatMap((name) => [
    '-c',
    `filter.${name}.smudge=`,
    '-c',
    `filter.${name}.process=`,
    '-c',
    `filter.${name}.required=false`,
  ]);
}
