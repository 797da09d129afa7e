import * as z from 'zod/mini';
import { pathSegment, repositorySegments } from '../../status/providers/repository';
import type { HistoryApi } from '../types';
import { answerOf, gitPerson, optional, PAGE_SIZE, withParam } from './common';

const Commits = z.array(
  z.object({
    id: z.string(),
    author_name: optional,
    author_email: optional,
    committer_name: optional,
    committer_email: optional,
  }),
);

/**
 * GitLab: `GET /projects/{path}/repository/commits?ref_name={before}..{after}`, a revision range
 * as `git log` reads it, paged by the `x-next-page` header. GitLab names no account per commit.
 */
export const gitlabHistoryApi: HistoryApi = {
  provider: 'gitlab',
  namesCommitters: true,
  first(range) {
    const path = repositorySegments(range.repository, 'group/project (with any subgroups) on GitLab', 2, 64);
    const query = `ref_name=${range.before}..${range.after}&per_page=${PAGE_SIZE}&page=1`;
    return {
      url: `${range.apiUrl}/projects/${pathSegment(path.join('/'))}/repository/commits?${query}`,
      headers: { 'private-token': range.token },
      secrets: [range.token],
    };
  },
  read(response, page) {
    const commits = answerOf(response, Commits, 'GitLab’s commits API').map((c) => ({
      id: c.id,
      author: gitPerson(c.author_name, c.author_email),
      committer: gitPerson(c.committer_name, c.committer_email),
    }));
    const next = Number(response.headers['x-next-page'] ?? '');
    return { commits, next: Number.isSafeInteger(next) && next > 0 ? withParam(page, 'page', next) : null };
  },
};
