import * as z from 'zod/mini';
import { pathSegment, repositorySegments } from '../../status/providers/repository';
import { answerOf, optional } from '../providers/common';
import { HistoryError } from '../types';
import { type PullsApi, person } from './types';

/** As many merge requests of a commit as one answer holds; a commit in more is refused, not read short. */
const PER_PAGE = 100;

const User = z.nullish(z.object({ id: z.nullish(z.number()), username: optional }));
const MergeRequests = z.array(
  z.object({
    iid: z.number().check(z.int()),
    title: optional,
    web_url: optional,
    state: z.string(),
    author: User,
    merge_user: User,
    merged_by: User,
  }),
);

/**
 * GitLab: `GET /projects/{path}/repository/commits/{sha}/merge_requests`, the merge requests a
 * commit belongs to; the `merged` ones are kept, with their author and `merge_user` (the older
 * `merged_by` when an instance predates it).
 */
export const gitlabPullsApi: PullsApi = {
  provider: 'gitlab',
  request(target, sha) {
    const path = repositorySegments(target.repository, 'group/project (with any subgroups) on GitLab', 2, 64);
    return {
      url: `${target.apiUrl}/projects/${pathSegment(path.join('/'))}/repository/commits/${sha}/merge_requests?per_page=${PER_PAGE}`,
      headers: { 'private-token': target.token },
      secrets: [target.token],
    };
  },
  read(response, sha) {
    const requests = answerOf(response, MergeRequests, 'GitLab’s merge requests of a commit');
    // GitLab pages (20 to a page unless asked), newest first: a later page could hold the merged
    // one behind open decoys. More than one page is refused rather than read short.
    // (GitLab leaves x-next-page out only past 10,000 rows: a full page without it is refused too.)
    const next = response.headers['x-next-page'];
    if (Number(next ?? '') > 0 || (next === undefined && requests.length >= PER_PAGE))
      throw new HistoryError(`commit ${sha.slice(0, 12)} is in ${PER_PAGE} merge requests or more`);
    return requests
      .filter((m) => m.state === 'merged')
      .map((m) => {
        const merger = m.merge_user ?? m.merged_by;
        return {
          number: String(m.iid),
          title: m.title ?? null,
          url: m.web_url ?? null,
          openedBy: person(m.author?.id, m.author?.username),
          mergedBy: person(merger?.id, merger?.username),
        };
      });
  },
};
