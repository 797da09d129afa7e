import * as z from 'zod/mini';
import { AZURE_DEVOPS_API_VERSION } from '../../status/providers';
import { pathSegment, twoSegments } from '../../status/providers/repository';
import { answerOf, optional } from '../providers/common';
import { type PullsApi, person } from './types';

const Identity = z.nullish(z.object({ id: optional, uniqueName: optional }));
const Pull = z.object({
  pullRequestId: z.number().check(z.int()),
  title: optional,
  status: z.string(),
  createdBy: Identity,
  closedBy: Identity,
  url: optional,
});
const Query = z.object({ results: z.array(z.record(z.string(), z.array(Pull))) });

function identity(i: z.infer<typeof Identity>) {
  const unique = i?.uniqueName ?? null;
  return person(i?.id, unique, unique?.includes('@') ? unique : null);
}

/**
 * Azure DevOps: `POST {project}/_apis/git/repositories/{repository}/pullrequestquery` with a
 * `commit` query for the commit: the pull requests it is part of, keyed by commit. The
 * `completed` ones are kept, with `createdBy` and `closedBy` (who completed it).
 */
export const azureDevopsPullsApi: PullsApi = {
  provider: 'azure-devops',
  request(target, sha) {
    const [project, repository] = twoSegments(target.repository, 'project/repository on Azure DevOps');
    const authorization = `Basic ${Buffer.from(`:${target.token}`, 'utf8').toString('base64')}`;
    return {
      url: `${target.apiUrl}/${pathSegment(project)}/_apis/git/repositories/${pathSegment(repository)}/pullrequestquery?api-version=${AZURE_DEVOPS_API_VERSION}`,
      headers: { authorization, 'content-type': 'application/json' },
      secrets: [authorization],
      body: JSON.stringify({ queries: [{ type: 'commit', items: [sha] }] }),
    };
  },
  read(response) {
    const answer = answerOf(response, Query, 'Azure DevOps’ pull request query');
    return answer.results
      .flatMap((r) => Object.values(r).flat())
      .filter((p) => p.status === 'completed')
      .map((p) => ({
        number: String(p.pullRequestId),
        title: p.title ?? null,
        url: p.url ?? null,
        openedBy: identity(p.createdBy),
        mergedBy: identity(p.closedBy),
      }));
  },
};
