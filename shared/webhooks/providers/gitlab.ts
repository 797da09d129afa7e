import * as z from 'zod/mini';
import { lazyCompiled, type PullRequestAction, type SourceChange } from '../../../events';
import { readPayload, shaOrNull } from '../payload';
import { header } from '../request';
import { matchesToken } from '../signatures';
import { commitOf, optionalString, pullRequestChange, refChange, stringAt } from './common';
import type { ProviderAdapter, Verification } from './types';

const Project = z.object({ path_with_namespace: z.string(), git_http_url: optionalString, web_url: optionalString });

export const PushPayload = lazyCompiled(
  z.object({
    ref: z.string(),
    before: z.string(),
    after: z.string(),
    checkout_sha: optionalString,
    total_commits_count: z.nullish(z.number().check(z.int(), z.nonnegative())),
    user_username: optionalString,
    user_name: optionalString,
    user_id: z.nullish(z.number()),
    project: Project,
    commits: z.nullish(
      z.array(
        z.object({
          id: z.string(),
          message: optionalString,
          timestamp: optionalString,
          author: z.nullish(z.object({ name: optionalString, email: optionalString })),
        }),
      ),
    ),
  }),
);

export const MergeRequestPayload = lazyCompiled(
  z.object({
    user: z.nullish(z.object({ username: optionalString, id: z.nullish(z.number()) })),
    project: Project,
    object_attributes: z.object({
      iid: z.number().check(z.int()),
      title: z.string(),
      action: optionalString,
      state: optionalString,
      oldrev: optionalString,
      source_branch: z.string(),
      target_branch: z.string(),
      source: z.nullish(z.object({ path_with_namespace: z.string() })),
      last_commit: z.nullish(z.object({ id: z.string() })),
    }),
  }),
);

type GitLabProject = z.infer<typeof Project>;

function repositoryFacts(project: GitLabProject): SourceChange['repository'] {
  return {
    fullName: project.path_with_namespace,
    cloneUrl: project.git_http_url ?? null,
    htmlUrl: project.web_url ?? null,
  };
}

/** Push and Tag Push hooks share one shape; an annotated tag's commit is `checkout_sha`, not `after`. */
function push(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(PushPayload, payload, eventName);
  const pusher = p.user_username ?? p.user_name ?? null;
  return [
    refChange({
      repository: repositoryFacts(p.project),
      ref: p.ref,
      before: p.before,
      after: p.after,
      headSha: p.checkout_sha ?? null,
      forced: null,
      commits: (p.commits ?? []).map(commitOf),
      totalCommits: p.total_commits_count ?? null,
      pusher,
      sender: pusher,
      senderId: p.user_id,
    }),
  ];
}

/**
 * `update` fires for title, label and reviewer edits too; only an update that carries `oldrev`
 * moved the source branch, so only that one is worth a build.
 */
export function gitlabMergeRequestAction(action: string, hasOldrev: boolean): PullRequestAction {
  switch (action) {
    case 'open':
    case 'reopen':
      return 'opened';
    case 'update':
      return hasOldrev ? 'updated' : 'other';
    case 'merge':
      return 'merged';
    case 'close':
      return 'closed';
    default:
      return 'other';
  }
}

function mergeRequest(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(MergeRequestPayload, payload, eventName);
  const mr = p.object_attributes;
  const rawAction = mr.action ?? '';
  return [
    pullRequestChange({
      repository: repositoryFacts(p.project),
      number: mr.iid,
      action: gitlabMergeRequestAction(rawAction, shaOrNull(mr.oldrev) !== null),
      rawAction,
      title: mr.title,
      sourceBranch: mr.source_branch,
      targetBranch: mr.target_branch,
      sourceRepository: mr.source?.path_with_namespace ?? null,
      headSha: mr.last_commit?.id ?? null,
      merged: rawAction === 'merge' || mr.state === 'merged',
      // The payload names the author only by id; `user` is whoever triggered the event.
      author: null,
      sender: p.user?.username ?? null,
      senderId: p.user?.id,
    }),
  ];
}

/** System hooks carry the same payloads under one header; the body says which event it is. */
function systemHookKind(payload: unknown): string | undefined {
  return stringAt(payload, 'object_kind') ?? stringAt(payload, 'event_name');
}

function normalizeKind(kind: string | undefined, eventName: string, payload: unknown): SourceChange[] {
  switch (kind) {
    case 'push':
    case 'tag_push':
      return push(eventName, payload);
    case 'merge_request':
      return mergeRequest(eventName, payload);
    default:
      return [];
  }
}

const HOOK_KINDS: ReadonlyMap<string, string> = new Map([
  ['Push Hook', 'push'],
  ['Tag Push Hook', 'tag_push'],
  ['Merge Request Hook', 'merge_request'],
]);

/**
 * GitLab: a shared secret token in `X-Gitlab-Token` (no body signature), compared in constant time.
 * Repository names keep every subgroup (`group/sub/project`).
 */
export const gitlab: ProviderAdapter = {
  provider: 'gitlab',
  bodyFormats: ['json'],
  eventNameSource: 'X-Gitlab-Event',
  pushEventName: 'Push Hook',

  verify(request, secrets): Verification {
    const token = header(request.headers, 'x-gitlab-token');
    if (token === undefined) return 'missing';
    return matchesToken(token, secrets) ? 'valid' : 'invalid';
  },

  deliveryId: (request) => header(request.headers, 'idempotency-key', 'x-gitlab-event-uuid'),
  eventName: (request) => header(request.headers, 'x-gitlab-event'),
  repositoryOf: (payload) => stringAt(payload, 'project', 'path_with_namespace'),

  normalize(eventName, payload) {
    const kind = eventName === 'System Hook' ? systemHookKind(payload) : HOOK_KINDS.get(eventName);
    return normalizeKind(kind, eventName, payload);
  },

  deliveryHeaders: ({ secret, eventName, deliveryId }) => ({
    'X-Gitlab-Event': eventName,
    'X-Gitlab-Event-UUID': deliveryId,
    'Idempotency-Key': deliveryId,
    'X-Gitlab-Token': secret,
  }),
};
