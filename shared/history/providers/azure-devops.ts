import * as z from 'zod/mini';
import { AZURE_DEVOPS_API_VERSION } from '../../status/providers';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import type { HistoryApi } from '../types';
import { answerOf, gitPerson, optional, PAGE_SIZE, paramOf, withParam } from './common';

const Person = z.nullish(z.object({ name: optional, email: optional }));
const Commits = z.object({ value: z.array(z.object({ commitId: z.string(), author: Person, committer: Person })) });

const SKIP = 'searchCriteria.$skip';

/**
 * Azure DevOps: `GET {organization}/{project}/_apis/git/repositories/{repository}/commits` with
 * `itemVersion` = after and `compareVersion` = before (both commits): the commits `after` adds,
 * paged by `$top` and `$skip`. A personal access token goes in Basic credentials.
 */
export const azureDevopsHistoryApi: HistoryApi = {
  provider: 'azure-devops',
  namesCommitters: true,
  first(range) {
    const [project, repository] = twoSegments(range.repository, 'project/repository on Azure DevOps');
    const authorization = `Basic ${Buffer.from(`:${range.token}`, 'utf8').toString('base64')}`;
    const query = new URLSearchParams({
      'searchCriteria.itemVersion.version': range.after,
      'searchCriteria.itemVersion.versionType': 'commit',
      'searchCriteria.compareVersion.version': range.before,
      'searchCriteria.compareVersion.versionType': 'commit',
      'searchCriteria.$top': String(PAGE_SIZE),
      [SKIP]: '0',
      'api-version': AZURE_DEVOPS_API_VERSION,
    });
    return {
      url: `${range.apiUrl}/${pathSegment(project)}/_apis/git/repositories/${pathSegment(repository)}/commits?${query}`,
      headers: { authorization },
      secrets: [authorization],
    };
  },
  read(response, page) {
    const answer = answerOf(response, Commits, 'Azure DevOps’ commits API');
    const commits = answer.value.map((c) => ({
      id: c.commitId,
      author: gitPerson(c.author?.name, c.author?.email),
      committer: gitPerson(c.committer?.name, c.committer?.email),
    }));
    const full = answer.value.length === PAGE_SIZE;
    return { commits, next: full ? withParam(page, SKIP, paramOf(page, SKIP, 0) + PAGE_SIZE) : null };
  },
};
