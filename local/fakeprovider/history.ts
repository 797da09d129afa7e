import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { type Provider, ProviderSchema } from '../../events';
import { GIT_TIMEOUT_MS, GitTimeout, gitOverObjects, locateRepository } from './objects-git';

/** Where each repository the local control plane was pushed to lives: `<provider>:<owner/name>` → a git folder. */
export type LocalRepositories = Map<string, string>;

/** Providers whose compare API the fake answers (the ones `gantry local push` speaks for). */
const COMPARING: readonly Provider[] = ['github', 'gitea', 'forgejo'];

const COMPARE = /^\/repos\/([^/]+)\/([^/]+)\/compare\/([0-9a-f]{40})\.\.\.([0-9a-f]{40})$/;

const PER_PAGE_MAX = 100;

/**
 * Records that `fullName` at `provider` is the git repository in `dir` (what a push to it would
 * make so): its archives are served for every provider, its compare API for those that have one.
 * git is asked off the event loop and within `timeoutMs`: a repository whose config blocks git
 * (a FIFO in an include) is refused with a reason, and stalls no other call meanwhile.
 */
export async function registerRepository(
  repositories: LocalRepositories,
  provider: string,
  fullName: string,
  dir: string,
  timeoutMs = GIT_TIMEOUT_MS,
): Promise<{ status: number; body: unknown }> {
  if (!ProviderSchema.safeParse(provider).success) return { status: 400, body: { message: `no provider ${provider}` } };
  // GitLab's subgroups make a full name of two or more segments; every other provider's has two.
  if (!/^[^/\s]+(?:\/[^/\s]+)+$/.test(fullName) || !existsSync(join(dir, '.git')))
    return { status: 400, body: { message: 'send {"provider", "fullName": "owner/name", "dir": a git work tree}' } };
  const real = realpathSync(dir);
  let shallow: boolean;
  try {
    ({ shallow } = await locateRepository(real, timeoutMs));
  } catch (error) {
    if (error instanceof GitTimeout)
      return { status: 400, body: { message: `${error.message} to read ${dir}: check its .git/config and includes` } };
    return { status: 400, body: { message: `${dir} is not a git repository git can read` } };
  }
  // A shallow clone lacks the history a compare must list: refuse it rather than answer short.
  if (shallow) return { status: 400, body: { message: `${dir} is a shallow clone: fetch its whole history first` } };
  repositories.set(`${provider}:${fullName}`, real);
  return { status: 204, body: undefined };
}

/**
 * The compare API (`GET /repos/{owner}/{repo}/compare/{base}...{head}`) in GitHub's shape, which
 * Gitea and Forgejo share, answered from the registered repository with `git log base..head`:
 * oldest first, paged with `per_page` and `page` as GitHub pages it, with `total_commits`. No
 * account matches a local e-mail, so `author` and `committer` (the accounts) are null.
 * Undefined, at once, when the request is not one (so other calls are answered in the order they came).
 */
export function compareAnswer(
  repositories: LocalRepositories,
  provider: Provider,
  call: { method: string; path: string; query: URLSearchParams; headers: Readonly<Record<string, string>> },
): Promise<{ status: number; body: unknown }> | undefined {
  const match = call.method === 'GET' && COMPARING.includes(provider) ? COMPARE.exec(call.path) : null;
  if (match === null) return undefined;
  const [, owner = '', repo = '', base = '', head = ''] = match.map((m) => decodeURIComponent(m));
  if (!call.headers.authorization)
    return Promise.resolve({ status: 401, body: { message: 'Requires authentication' } });
  const dir = repositories.get(`${provider}:${owner}/${repo}`);
  if (dir === undefined) return Promise.resolve({ status: 404, body: { message: 'Not Found' } });
  // Over the repository's objects alone: grafts, replace refs or a shallow file cannot hide a commit.
  return gitOverObjects(
    dir,
    ['log', '--reverse', '--format=%H%x1f%an%x1f%ae%x1f%cn%x1f%ce', `${base}..${head}`],
    'utf8',
  ).then(
    (log) => comparePage(log, call.query),
    (error) =>
      error instanceof GitTimeout
        ? { status: 504, body: { message: error.message } }
        : { status: 404, body: { message: `No common ancestor between ${base} and ${head}.` } },
  );
}

/** One page of the compare answer, from `git log`'s lines. */
function comparePage(log: string, query: URLSearchParams): { status: number; body: unknown } {
  const commits = log
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [sha = '', an = '', ae = '', cn = '', ce = ''] = line.split('\x1f');
      return {
        sha,
        commit: { author: { name: an, email: ae }, committer: { name: cn, email: ce } },
        author: null,
        committer: null,
      };
    });
  const perPage = Math.min(PER_PAGE_MAX, Number(query.get('per_page') ?? 250) || 250);
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const shown = query.has('page') ? commits.slice((page - 1) * perPage, page * perPage) : commits.slice(0, 250);
  return { status: 200, body: { total_commits: commits.length, commits: shown } };
}
