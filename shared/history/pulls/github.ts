import * as z from 'zod/mini';
import { GITHUB_API_VERSION } from '../../status/providers';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import { answerOf, optional } from '../providers/common';
import { HistoryError } from '../types';
import { type PullsApi, type PullsTarget, person } from './types';

const User = z.nullish(z.object({ id: z.nullish(z.number()), login: optional }));
/** As many pull requests of a commit as one answer holds; a commit in more is refused, not read short. */
const PER_PAGE = 100;

const Pull = z.object({
  number: z.number().check(z.int()),
  title: optional,
  html_url: optional,
  user: User,
  merged_at: optional,
  merged_by: User,
});

function headers(target: PullsTarget) {
  const authorization = `Bearer ${target.token}`;
  return {
    headers: { authorization, accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION },
    secrets: [authorization],
  };
}

function repo(target: PullsTarget): string {
  const [owner, name] = twoSegments(target.repository, 'owner/name on GitHub');
  return `${target.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(name)}`;
}

/**
 * GitHub: `GET /repos/{owner}/{repo}/commits/{sha}/pulls` lists the pull requests a commit is
 * part of (its head, a squash or rebase result, a merge commit); the merged ones (`merged_at`)
 * are kept. The list carries no `merged_by`, so each merged one is read whole with
 * `GET /repos/{owner}/{repo}/pulls/{number}`.
 */
export const githubPullsApi: PullsApi = {
  provider: 'github',
  request(target, sha) {
    return { url: `${repo(target)}/commits/${sha}/pulls?per_page=${PER_PAGE}`, ...headers(target) };
  },
  read(response, sha) {
    const pulls = answerOf(response, z.array(Pull), 'GitHub’s pull requests of a commit');
    // A later page could hold the merged one (open decoys come first): refuse rather than read
    // short. GitHub says so in its Link header whenever there is one.
    if (/\brel="next"/.test(response.headers.link ?? ''))
      throw new HistoryError(`commit ${sha.slice(0, 12)} is in ${PER_PAGE} pull requests or more`);
    return pulls
      .filter((p) => p.merged_at)
      .map((p) => ({
        number: String(p.number),
        title: p.title ?? null,
        url: p.html_url ?? null,
        openedBy: person(p.user?.id, p.user?.login),
        mergedBy: null,
      }));
  },
  detail(target, pull) {
    return { url: `${repo(target)}/pulls/${encodeURIComponent(pull.number)}`, ...headers(target) };
  },
  readDetail(response, pull) {
    const p = answerOf(response, Pull, `GitHub’s pull request #${pull.number}`);
    return { ...pull, mergedBy: person(p.merged_by?.id, p.merged_by?.login) };
  },
};
