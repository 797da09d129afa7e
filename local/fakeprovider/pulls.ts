import type { Provider } from '../../events';

/** A merged pull request the fake answers for: who opened and merged it, and the commits it brought in. */
export interface FakePullRequest {
  readonly number: number;
  readonly title: string;
  /** Full commit ids: its own commits, and the merge, squash or rebase results on the target branch. */
  readonly commits: readonly string[];
  readonly openedBy: { readonly id: number; readonly login: string; readonly email?: string };
  readonly mergedBy: { readonly id: number; readonly login: string; readonly email?: string };
}

/** `<provider>:<owner/name>` → its merged pull requests. */
export type LocalPullRequests = Map<string, FakePullRequest[]>;

/** Providers whose "pull requests of a commit" API the fake answers (those whose compare API it answers). */
const ANSWERING: readonly Provider[] = ['github', 'gitea', 'forgejo'];

const GITHUB_LIST = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([0-9a-f]{40})\/pulls$/;
const GITHUB_ONE = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/;
const GITEA_ONE = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([0-9a-f]{40})\/pull$/;

const user = (u: FakePullRequest['openedBy']) => ({ id: u.id, login: u.login, email: u.email ?? '' });

function githubShape(repository: string, pr: FakePullRequest) {
  return {
    number: pr.number,
    title: pr.title,
    html_url: `https://github.com/${repository}/pull/${pr.number}`,
    state: 'closed',
    user: user(pr.openedBy),
    merged_at: '2026-11-20T10:00:00Z',
    merged_by: user(pr.mergedBy),
  };
}

/**
 * GitHub's `GET /repos/{o}/{r}/commits/{sha}/pulls` (a list without `merged_by`, as GitHub's)
 * and `GET /repos/{o}/{r}/pulls/{n}`; Gitea's and Forgejo's `GET /repos/{o}/{r}/commits/{sha}/pull`
 * (404 when no pull request brought the commit). Answered from the registered pull requests, for
 * any repository (a repository with none registered has none: pushes made without one are not refused). Undefined when the request is not one.
 */
export function pullsAnswer(
  pulls: LocalPullRequests,
  provider: Provider,
  call: { method: string; path: string; headers: Readonly<Record<string, string>> },
): { status: number; body: unknown } | undefined {
  if (call.method !== 'GET' || !ANSWERING.includes(provider)) return undefined;
  const match =
    provider === 'github' ? (GITHUB_LIST.exec(call.path) ?? GITHUB_ONE.exec(call.path)) : GITEA_ONE.exec(call.path);
  if (match === null) return undefined;
  const [, owner = '', repo = '', key = ''] = match.map((m) => decodeURIComponent(m));
  if (!call.headers.authorization) return { status: 401, body: { message: 'Requires authentication' } };
  const repository = `${owner}/${repo}`;
  const known = pulls.get(`${provider}:${repository}`) ?? [];
  if (provider !== 'github') {
    const pr = known.find((p) => p.commits.includes(key));
    if (pr === undefined) return { status: 404, body: { message: 'pull request does not exist' } };
    return { status: 200, body: { ...githubShape(repository, pr), merged: true } };
  }
  if (/^\d+$/.test(key)) {
    const pr = known.find((p) => String(p.number) === key);
    return pr === undefined
      ? { status: 404, body: { message: 'Not Found' } }
      : { status: 200, body: githubShape(repository, pr) };
  }
  return {
    status: 200,
    body: known
      .filter((p) => p.commits.includes(key))
      .map((p) => {
        const { merged_by: _omitted, ...rest } = githubShape(repository, p);
        return rest;
      }),
  };
}

/** Records a merged pull request of `fullName` at `provider`; refused for a provider whose API the fake does not answer. */
export function registerPullRequest(
  pulls: LocalPullRequests,
  provider: string,
  fullName: string,
  pr: FakePullRequest,
): { status: number; body: unknown } {
  if (!ANSWERING.includes(provider as Provider))
    return { status: 400, body: { message: `the fake answers pull requests for ${ANSWERING.join(', ')} only` } };
  if (!Number.isSafeInteger(pr.number) || pr.commits.some((c) => !/^[0-9a-f]{40}$/.test(c)))
    return { status: 400, body: { message: 'send a pull request number and full commit ids' } };
  const key = `${provider}:${fullName}`;
  pulls.set(key, [...(pulls.get(key) ?? []).filter((p) => p.number !== pr.number), pr]);
  return { status: 204, body: undefined };
}
