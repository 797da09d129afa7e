import * as z from 'zod/mini';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import { answerOf, optional } from '../providers/common';
import { HistoryError } from '../types';
import { type PullsApi, person } from './types';

const CloudUser = z.nullish(z.object({ uuid: optional, account_id: optional, nickname: optional }));
const CloudPulls = z.object({
  values: z.array(
    z.object({
      id: z.number().check(z.int()),
      title: optional,
      state: z.string(),
      author: CloudUser,
      closed_by: CloudUser,
      links: z.nullish(z.object({ html: z.nullish(z.object({ href: optional })) })),
    }),
  ),
  next: optional,
});

/**
 * Bitbucket Cloud: `GET /repositories/{workspace}/{slug}/commit/{sha}/pullrequests`, the pull
 * requests a commit belongs to; the `MERGED` ones are kept, with their author and `closed_by`
 * (who merged). A commit in more pull requests than one page holds is refused, not cut short.
 */
export const bitbucketCloudPullsApi: PullsApi = {
  provider: 'bitbucket-cloud',
  request(target, sha) {
    const [workspace, slug] = twoSegments(target.repository, 'workspace/repo_slug on Bitbucket Cloud');
    const authorization = `Bearer ${target.token}`;
    return {
      url: `${target.apiUrl}/repositories/${pathSegment(workspace)}/${pathSegment(slug)}/commit/${sha}/pullrequests?pagelen=50`,
      headers: { authorization },
      secrets: [authorization],
    };
  },
  read(response, sha) {
    const answer = answerOf(response, CloudPulls, 'Bitbucket Cloud’s pull requests of a commit');
    if (answer.next) throw new HistoryError(`commit ${sha.slice(0, 12)} is in more than 50 pull requests`);
    return answer.values
      .filter((p) => p.state === 'MERGED')
      .map((p) => ({
        number: String(p.id),
        title: p.title ?? null,
        url: p.links?.html?.href ?? null,
        openedBy: person(p.author?.uuid ?? p.author?.account_id, p.author?.nickname),
        mergedBy: person(p.closed_by?.uuid ?? p.closed_by?.account_id, p.closed_by?.nickname),
      }));
  },
};

const DcUser = z.nullish(z.object({ id: z.nullish(z.number()), slug: optional, emailAddress: optional }));
const DcPulls = z.object({
  values: z.array(
    z.object({
      id: z.number().check(z.int()),
      title: optional,
      state: z.string(),
      author: z.nullish(z.object({ user: DcUser })),
      links: z.nullish(z.object({ self: z.nullish(z.array(z.object({ href: optional }))) })),
    }),
  ),
  isLastPage: z.boolean(),
});

/**
 * Bitbucket Data Center: `GET /rest/api/latest/projects/{key}/repos/{slug}/commits/{sha}/pull-requests`;
 * the `MERGED` ones are kept. Its answer does not name who merged (`mergedBy` stays null, which
 * separation of duties refuses rather than guesses).
 */
export const bitbucketDcPullsApi: PullsApi = {
  provider: 'bitbucket-dc',
  request(target, sha) {
    const [projectKey, slug] = twoSegments(target.repository, 'PROJECTKEY/slug on Bitbucket Data Center');
    const authorization = `Bearer ${target.token}`;
    return {
      url: `${target.apiUrl}/rest/api/latest/projects/${pathSegment(projectKey)}/repos/${pathSegment(slug)}/commits/${sha}/pull-requests?limit=100`,
      headers: { authorization },
      secrets: [authorization],
    };
  },
  read(response, sha) {
    const answer = answerOf(response, DcPulls, 'Bitbucket Data Center’s pull requests of a commit');
    if (!answer.isLastPage) throw new HistoryError(`commit ${sha.slice(0, 12)} is in more than 100 pull requests`);
    return answer.values
      .filter((p) => p.state === 'MERGED')
      .map((p) => ({
        number: String(p.id),
        title: p.title ?? null,
        url: p.links?.self?.[0]?.href ?? null,
        openedBy: person(p.author?.user?.id, p.author?.user?.slug, p.author?.user?.emailAddress),
        mergedBy: null,
      }));
  },
};
