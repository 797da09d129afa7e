import * as z from 'zod/mini';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import { parseRawAuthor } from '../../webhooks/providers/bitbucket-cloud';
import { type HistoryApi, HistoryError } from '../types';
import { answerOf, followLink, gitPerson, optional, PAGE_SIZE, withParam } from './common';

const CloudCommits = z.object({
  values: z.array(
    z.object({
      hash: z.string(),
      author: z.nullish(z.object({ raw: optional, user: z.nullish(z.object({ nickname: optional })) })),
    }),
  ),
  next: optional,
});

/**
 * Bitbucket Cloud: `GET /repositories/{workspace}/{slug}/commits?include={after}&exclude={before}`,
 * paged by the `next` link. Bitbucket Cloud keeps no committer, only each commit's author.
 */
export const bitbucketCloudHistoryApi: HistoryApi = {
  provider: 'bitbucket-cloud',
  namesCommitters: false,
  first(range) {
    const [workspace, slug] = twoSegments(range.repository, 'workspace/repo_slug on Bitbucket Cloud');
    const authorization = `Bearer ${range.token}`;
    return {
      url: `${range.apiUrl}/repositories/${pathSegment(workspace)}/${pathSegment(slug)}/commits?include=${range.after}&exclude=${range.before}&pagelen=${PAGE_SIZE}`,
      headers: { authorization },
      secrets: [authorization],
    };
  },
  read(response, page, range) {
    const answer = answerOf(response, CloudCommits, 'Bitbucket Cloud’s commits API');
    const commits = answer.values.map((c) => {
      const author = parseRawAuthor(c.author?.raw);
      return { id: c.hash, author: gitPerson(author.name, author.email, c.author?.user?.nickname) };
    });
    return { commits, next: answer.next ? followLink(page, answer.next, range.apiUrl) : null };
  },
};

const DcUser = z.nullish(z.object({ name: optional, emailAddress: optional, displayName: optional, slug: optional }));
const DcCommits = z.object({
  values: z.array(z.object({ id: z.string(), author: DcUser, committer: DcUser })),
  isLastPage: z.boolean(),
  nextPageStart: z.nullish(z.number().check(z.int(), z.nonnegative())),
});

/** Only a Bitbucket user has a `slug` (their account); a commit by anyone else carries git's name alone. */
function dcPerson(user: z.infer<typeof DcUser>) {
  return gitPerson(user?.displayName ?? user?.name, user?.emailAddress, user?.slug);
}

/**
 * Bitbucket Data Center: `GET /rest/api/latest/projects/{key}/repos/{slug}/commits?since={before}&until={after}`,
 * paged by `start` and `nextPageStart`. A push delivery from Data Center lists no commits, so
 * separation of duties always reads the range here.
 */
export const bitbucketDcHistoryApi: HistoryApi = {
  provider: 'bitbucket-dc',
  namesCommitters: true,
  first(range) {
    const [projectKey, slug] = twoSegments(range.repository, 'PROJECTKEY/slug on Bitbucket Data Center');
    const authorization = `Bearer ${range.token}`;
    return {
      url: `${range.apiUrl}/rest/api/latest/projects/${pathSegment(projectKey)}/repos/${pathSegment(slug)}/commits?since=${range.before}&until=${range.after}&limit=${PAGE_SIZE}&start=0`,
      headers: { authorization },
      secrets: [authorization],
    };
  },
  read(response, page) {
    const answer = answerOf(response, DcCommits, 'Bitbucket Data Center’s commits API');
    const commits = answer.values.map((c) => ({
      id: c.id,
      author: dcPerson(c.author),
      committer: dcPerson(c.committer),
    }));
    if (answer.isLastPage) return { commits, next: null };
    if (answer.nextPageStart == null)
      throw new HistoryError('Bitbucket Data Center’s commits API said more pages follow but not where');
    return { commits, next: withParam(page, 'start', answer.nextPageStart) };
  },
};
