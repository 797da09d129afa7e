import * as z from 'zod/mini';
import { type Commit, lazyCompiled, type PullRequestAction, type SourceChange } from '../../../events';
import { branchName, readPayload } from '../payload';
import { header } from '../request';
import { matchesToken } from '../signatures';
import { commitsOfSoleChange, optionalString, personOf, pullRequestChange, refChange, stringAt } from './common';
import type { ProviderAdapter, Verification } from './types';

const Repository = z.object({
  name: z.string(),
  project: z.object({ name: z.string() }),
  remoteUrl: optionalString,
  webUrl: optionalString,
});

const Identity = z.nullish(z.object({ uniqueName: optionalString, displayName: optionalString, id: optionalString }));

const AzureCommit = z.object({
  commitId: z.string(),
  comment: optionalString,
  author: z.nullish(z.object({ name: optionalString, email: optionalString, date: optionalString })),
  committer: z.nullish(z.object({ name: optionalString, email: optionalString })),
});

export const PushPayload = lazyCompiled(
  z.object({
    resource: z.object({
      refUpdates: z.array(z.object({ name: z.string(), oldObjectId: z.string(), newObjectId: z.string() })),
      // Legacy (2013-era) payloads carry no repository at all.
      repository: z.nullish(Repository),
      pushedBy: Identity,
      commits: z.nullish(z.array(AzureCommit)),
    }),
  }),
);

export const PullRequestPayload = lazyCompiled(
  z.object({
    resource: z.object({
      pullRequestId: z.number().check(z.int()),
      title: z.string(),
      status: optionalString,
      sourceRefName: optionalString,
      targetRefName: optionalString,
      repository: Repository,
      forkSource: z.nullish(z.object({ repository: z.nullish(Repository) })),
      lastMergeSourceCommit: z.nullish(z.object({ commitId: z.string() })),
      createdBy: Identity,
    }),
  }),
);

type AzureRepository = z.infer<typeof Repository>;

/** Repository identity is `<project>/<repository>`; the organization appears only in URLs. */
function fullNameOf(repo: AzureRepository): string {
  return `${repo.project.name}/${repo.name}`;
}

function repositoryFacts(repo: AzureRepository | null | undefined): SourceChange['repository'] {
  if (repo == null) return { fullName: null, cloneUrl: null, htmlUrl: null };
  return {
    fullName: fullNameOf(repo),
    cloneUrl: repo.remoteUrl ?? null,
    htmlUrl: repo.webUrl ?? repo.remoteUrl ?? null,
  };
}

function commitOfAzure(c: z.infer<typeof AzureCommit>): Commit {
  return {
    id: c.commitId,
    message: c.comment ?? '',
    author: personOf(c.author),
    ...(c.committer ? { committer: personOf(c.committer) } : {}),
    timestamp: c.author?.date ?? null,
  };
}

/** One canonical change per `refUpdates[]` entry; refs are full, create/delete use the zero SHA. */
function push(eventName: string, payload: unknown): SourceChange[] {
  const { resource } = readPayload(PushPayload, payload, eventName);
  const repository = repositoryFacts(resource.repository);
  const commits = commitsOfSoleChange(resource.refUpdates.length, (resource.commits ?? []).map(commitOfAzure));
  const pusher = resource.pushedBy?.uniqueName ?? null;
  return resource.refUpdates.map((update) =>
    refChange({
      repository,
      ref: update.name,
      before: update.oldObjectId,
      after: update.newObjectId,
      forced: null,
      commits,
      totalCommits: null,
      pusher,
      sender: pusher,
      senderId: resource.pushedBy?.id,
    }),
  );
}

const PR_EVENTS: ReadonlyMap<string, PullRequestAction> = new Map([
  ['git.pullrequest.created', 'opened'],
  ['git.pullrequest.updated', 'updated'],
  ['git.pullrequest.merged', 'merged'],
]);

/**
 * The status decides first: `git.pullrequest.updated` also fires when a pull request is completed
 * (merged) or abandoned, and `git.pullrequest.merged` ("merge commit created") also fires for the
 * trial merge of a pull request that is still active, which merged nothing into the target.
 */
export function azurePullRequestAction(eventName: string, status: string | null | undefined): PullRequestAction {
  if (status === 'completed') return 'merged';
  if (status === 'abandoned') return 'closed';
  const action = PR_EVENTS.get(eventName) ?? 'other';
  return action === 'merged' && status === 'active' ? 'other' : action;
}

function pullRequest(eventName: string, payload: unknown): SourceChange[] {
  const { resource: pr } = readPayload(PullRequestPayload, payload, eventName);
  const action = azurePullRequestAction(eventName, pr.status);
  const source = pr.forkSource?.repository ?? pr.repository;
  return [
    pullRequestChange({
      repository: repositoryFacts(pr.repository),
      number: pr.pullRequestId,
      action,
      rawAction: eventName,
      title: pr.title,
      sourceBranch: branchName(pr.sourceRefName),
      targetBranch: branchName(pr.targetRefName),
      sourceRepository: fullNameOf(source),
      headSha: pr.lastMergeSourceCommit?.commitId ?? null,
      merged: action === 'merged',
      author: pr.createdBy?.uniqueName ?? null,
      // Service hook payloads do not name who triggered the event.
      sender: null,
    }),
  ];
}

const BASIC = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i;

/** The `user:password` of a Basic Authorization header, or undefined when it is not well-formed. */
export function basicCredentials(authorization: string): string | undefined {
  const encoded = BASIC.exec(authorization)?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.includes(':') ? decoded : undefined;
}

/**
 * Azure DevOps service hooks: no signature, only HTTP Basic credentials; the connection secret
 * is `user:password`. The event name and delivery id are body fields (`eventType`, `id`).
 */
export const azureDevops: ProviderAdapter = {
  provider: 'azure-devops',
  bodyFormats: ['json'],
  eventNameSource: 'the body field eventType',
  pushEventName: 'git.push',

  verify(request, secrets): Verification {
    const authorization = header(request.headers, 'authorization');
    if (authorization === undefined) return 'missing';
    return matchesToken(basicCredentials(authorization), secrets) ? 'valid' : 'invalid';
  },

  deliveryId: (_request, payload) => stringAt(payload, 'id'),
  eventName: (_request, payload) => stringAt(payload, 'eventType'),
  repositoryOf(payload) {
    const project = stringAt(payload, 'resource', 'repository', 'project', 'name');
    const name = stringAt(payload, 'resource', 'repository', 'name');
    return project === undefined || name === undefined ? undefined : `${project}/${name}`;
  },

  normalize(eventName, payload) {
    if (eventName === 'git.push') return push(eventName, payload);
    return PR_EVENTS.has(eventName) ? pullRequest(eventName, payload) : [];
  },

  deliveryHeaders: ({ secret }) => ({ Authorization: `Basic ${Buffer.from(secret, 'utf8').toString('base64')}` }),
};
