import * as z from 'zod/mini';
import { pathSegment, repositorySegments } from '../../status/providers/repository';
import { answerOf, optional } from '../providers/common';
import { type PullsApi, person } from './types';

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
      url: `${target.apiUrl}/projects/${pathSegment(path.join('/'))}/repository/commits/${sha}/merge_requests`,
      headers: { 'private-token': target.token },
      secrets: [target.token],
    };
  },
  read(response) {
    return answerOf(response, MergeRequests, 'GitLab’s merge requests of a commit')
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
