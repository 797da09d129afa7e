import * as z from 'zod/mini';
import { GITHUB_API_VERSION } from '../../status/providers';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import type { HistoryApi } from '../types';
import { answerOf, gitPerson, optional, PAGE_SIZE, paramOf, withParam } from './common';

const Person = z.nullish(z.object({ name: optional, email: optional }));
const Login = z.nullish(z.object({ login: optional }));

/** A GitHub-style compare answer, which Gitea and Forgejo copied. */
export const CompareAnswer = z.object({
  total_commits: z.number().check(z.int(), z.nonnegative()),
  commits: z.array(
    z.object({
      sha: z.string(),
      commit: z.object({ author: Person, committer: Person }),
      author: Login,
      committer: Login,
    }),
  ),
});

/** A commit of a compare answer: git's names and e-mails, and the accounts the provider matched them to. */
export function compareCommit(c: z.infer<typeof CompareAnswer>['commits'][number]) {
  return {
    id: c.sha,
    author: gitPerson(c.commit.author?.name, c.commit.author?.email, c.author?.login),
    committer: gitPerson(c.commit.committer?.name, c.commit.committer?.email, c.committer?.login),
  };
}

/**
 * GitHub (and GitHub Enterprise Server): `GET /repos/{owner}/{repo}/compare/{before}...{after}`,
 * paged with `per_page` and `page` over all `total_commits` (unpaged it stops at 250).
 */
export const githubHistoryApi: HistoryApi = {
  provider: 'github',
  namesCommitters: true,
  first(range) {
    const [owner, repo] = twoSegments(range.repository, 'owner/name on GitHub');
    const authorization = `Bearer ${range.token}`;
    return {
      url: `${range.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/compare/${range.before}...${range.after}?per_page=${PAGE_SIZE}&page=1`,
      headers: { authorization, accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION },
      secrets: [authorization],
    };
  },
  read(response, page) {
    const answer = answerOf(response, CompareAnswer, 'GitHub’s compare API');
    const n = paramOf(page, 'page', 1);
    const more = answer.commits.length === PAGE_SIZE && n * PAGE_SIZE < answer.total_commits;
    return {
      commits: answer.commits.map(compareCommit),
      next: more ? withParam(page, 'page', n + 1) : null,
      total: answer.total_commits,
    };
  },
};
