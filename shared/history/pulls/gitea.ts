import * as z from 'zod/mini';
import type { Provider } from '../../../events';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import { answerOf, optional } from '../providers/common';
import { type PullsApi, person } from './types';

const User = z.nullish(z.object({ id: z.nullish(z.number()), login: optional, email: optional }));
const Pull = z.object({
  number: z.number().check(z.int()),
  title: optional,
  html_url: optional,
  merged: z.nullish(z.boolean()),
  user: User,
  merged_by: User,
});

/**
 * Gitea's `GET /repos/{owner}/{repo}/commits/{sha}/pull`, which Forgejo keeps: the one pull
 * request that brought the commit in, or 404 when none did. Kept when `merged`.
 */
function giteaStyle(provider: Extract<Provider, 'gitea' | 'forgejo'>, name: string): PullsApi {
  return {
    provider,
    noneOn404: true,
    request(target, sha) {
      const [owner, repo] = twoSegments(target.repository, `owner/name on ${name}`);
      const authorization = `token ${target.token}`;
      return {
        url: `${target.apiUrl}/repos/${pathSegment(owner)}/${pathSegment(repo)}/commits/${sha}/pull`,
        headers: { authorization },
        secrets: [authorization],
      };
    },
    read(response) {
      const p = answerOf(response, Pull, `${name}’s pull request of a commit`);
      if (p.merged !== true) return [];
      return [
        {
          number: String(p.number),
          title: p.title ?? null,
          url: p.html_url ?? null,
          openedBy: person(p.user?.id, p.user?.login, p.user?.email),
          mergedBy: person(p.merged_by?.id, p.merged_by?.login, p.merged_by?.email),
        },
      ];
    },
  };
}

export const giteaPullsApi: PullsApi = giteaStyle('gitea', 'Gitea');
export const forgejoPullsApi: PullsApi = giteaStyle('forgejo', 'Forgejo');
