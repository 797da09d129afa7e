import * as z from 'zod/mini';
import { lazyCompiled, type SourceChange } from '../../../events';
import { readPayload } from '../payload';
import { header } from '../request';
import { hmacSha256 } from '../signatures';
import {
  commitOf,
  githubStylePrAction,
  informationalChange,
  optionalString,
  pullRequestChange,
  qualifiedRef,
  refChange,
  stringAt,
  verifyHmacHeader,
} from './common';
import type { ProviderAdapter } from './types';

const Repository = z.object({ full_name: z.string(), clone_url: optionalString, html_url: optionalString });
const User = z.nullish(z.object({ login: optionalString, username: optionalString, id: z.nullish(z.number()) }));

/** A commit's author or committer; `username` is the account, when git's e-mail belongs to one. */
const GitUser = z.nullish(z.object({ name: optionalString, email: optionalString, username: optionalString }));

export const PushPayload = lazyCompiled(
  z.object({
    ref: z.string(),
    before: z.string(),
    after: z.string(),
    commits: z.nullish(
      z.array(
        z.object({
          id: z.string(),
          message: optionalString,
          timestamp: optionalString,
          author: GitUser,
          committer: GitUser,
        }),
      ),
    ),
    total_commits: z.nullish(z.number().check(z.int(), z.nonnegative())),
    head_commit: z.nullish(z.object({ id: z.string() })),
    repository: Repository,
    pusher: User,
    sender: User,
  }),
);

export const PullRequestPayload = lazyCompiled(
  z.object({
    action: z.string(),
    number: z.number().check(z.int()),
    pull_request: z.object({
      title: z.string(),
      merged: z.nullish(z.boolean()),
      user: User,
      head: z.object({ ref: z.string(), sha: z.string(), repo: z.nullish(z.object({ full_name: z.string() })) }),
      base: z.object({ ref: z.string() }),
    }),
    repository: Repository,
    sender: User,
  }),
);

export const RefEventPayload = lazyCompiled(
  z.object({
    ref: z.string(),
    ref_type: z.enum(['branch', 'tag']),
    sha: optionalString,
    repository: Repository,
    sender: User,
  }),
);

type GiteaRepository = z.infer<typeof Repository>;
type GiteaUser = z.infer<typeof User>;

function repositoryFacts(repo: GiteaRepository): SourceChange['repository'] {
  return { fullName: repo.full_name, cloneUrl: repo.clone_url ?? null, htmlUrl: repo.html_url ?? null };
}

/** Gitea spells the user name `login`; Gogs-era payloads spell it `username`. */
function userName(user: GiteaUser): string | null {
  return user?.login ?? user?.username ?? null;
}

/** Older servers send no `head_commit` (the head is then `after`) and no `total_commits`. */
function push(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(PushPayload, payload, eventName);
  return [
    refChange({
      repository: repositoryFacts(p.repository),
      ref: p.ref,
      before: p.before,
      after: p.after,
      headSha: p.head_commit?.id ?? p.after,
      forced: null,
      commits: (p.commits ?? []).map(commitOf),
      totalCommits: p.total_commits ?? null,
      pusher: userName(p.pusher),
      sender: userName(p.sender),
      senderId: p.sender?.id,
    }),
  ];
}

function pullRequest(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(PullRequestPayload, payload, eventName);
  const pr = p.pull_request;
  const merged = pr.merged === true;
  return [
    pullRequestChange({
      repository: repositoryFacts(p.repository),
      number: p.number,
      action: githubStylePrAction(p.action, merged),
      rawAction: p.action,
      title: pr.title,
      sourceBranch: pr.head.ref,
      targetBranch: pr.base.ref,
      sourceRepository: pr.head.repo?.full_name ?? null,
      headSha: pr.head.sha,
      merged,
      author: userName(pr.user),
      sender: userName(p.sender),
      senderId: p.sender?.id,
    }),
  ];
}

/** A new branch or tag: the push event says the same, so this one is informational. */
function create(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(RefEventPayload, payload, eventName);
  const isTag = p.ref_type === 'tag';
  return [
    informationalChange('other', `create_${p.ref_type}`, repositoryFacts(p.repository), {
      ref: qualifiedRef(p.ref, isTag),
      branch: isTag ? null : p.ref,
      tag: isTag ? p.ref : null,
      headSha: p.sha ?? null,
      created: true,
      sender: userName(p.sender),
    }),
  ];
}

/**
 * Gitea sends no push for a deleted ref, only `delete`: so it is the branch deletion itself
 * (`branch_delete`), and a deleted tag is `other`/`tag_delete`, as from every other provider.
 */
function deleteRef(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(RefEventPayload, payload, eventName);
  const sender = userName(p.sender);
  return [
    refChange({
      repository: repositoryFacts(p.repository),
      ref: qualifiedRef(p.ref, p.ref_type === 'tag'),
      before: null,
      after: null,
      created: false,
      deleted: true,
      forced: null,
      commits: [],
      totalCommits: null,
      pusher: sender,
      sender,
      senderId: p.sender?.id,
    }),
  ];
}

/**
 * `X-Gitea-Event-Type` names the pull request sub-events that `X-Gitea-Event` folds into
 * `pull_request`; the payload's `action` says what happened either way.
 */
const PULL_REQUEST_EVENT_TYPES: ReadonlySet<string> = new Set([
  'pull_request',
  'pull_request_sync',
  'pull_request_assign',
  'pull_request_label',
  'pull_request_milestone',
  'pull_request_review_request',
]);

function normalizeGitea(eventName: string, payload: unknown): SourceChange[] {
  if (PULL_REQUEST_EVENT_TYPES.has(eventName)) return pullRequest(eventName, payload);
  switch (eventName) {
    case 'push':
      return push(eventName, payload);
    case 'create':
      return create(eventName, payload);
    case 'delete':
      return deleteRef(eventName, payload);
    default:
      return [];
  }
}

/** The `X-Gitea-Event` value Gitea sends alongside an `X-Gitea-Event-Type`. */
function eventOfType(eventType: string): string {
  return PULL_REQUEST_EVENT_TYPES.has(eventType) ? 'pull_request' : eventType;
}

function headerNames(prefixes: readonly string[], suffix: string): string[] {
  return prefixes.map((prefix) => `${prefix}-${suffix}`);
}

/**
 * Gitea and Forgejo send the same payloads and differ only in header prefix (Forgejo also sends
 * the `X-Gitea-*` copies, read as a fallback). The signature is the bare hex HMAC-SHA256 of the body.
 */
function giteaFamily(provider: 'gitea' | 'forgejo', displayPrefixes: readonly string[]): ProviderAdapter {
  const prefixes = displayPrefixes.map((prefix) => prefix.toLowerCase());
  return {
    provider,
    bodyFormats: ['json', 'form'],
    eventNameSource: `${displayPrefixes[0] ?? 'X-Gitea'}-Event`,
    pushEventName: 'push',

    verify: (request, secrets) => verifyHmacHeader(request, headerNames(prefixes, 'signature'), '', secrets),
    deliveryId: (request) => header(request.headers, ...headerNames(prefixes, 'delivery')),
    eventName: (request) =>
      header(request.headers, ...headerNames(prefixes, 'event-type')) ??
      header(request.headers, ...headerNames(prefixes, 'event')),
    repositoryOf: (payload) => stringAt(payload, 'repository', 'full_name'),
    normalize: normalizeGitea,

    deliveryHeaders: ({ body, secret, eventName, deliveryId }) => {
      const signature = hmacSha256(secret, body).toString('hex');
      return Object.fromEntries(
        displayPrefixes.flatMap((prefix) => [
          [`${prefix}-Event`, eventOfType(eventName)],
          [`${prefix}-Event-Type`, eventName],
          [`${prefix}-Delivery`, deliveryId],
          [`${prefix}-Signature`, signature],
        ]),
      );
    },
  };
}

/** Gitea: `X-Gitea-Signature` (bare hex), `X-Gitea-Delivery`, `X-Gitea-Event[-Type]`. */
export const gitea: ProviderAdapter = giteaFamily('gitea', ['X-Gitea']);

/** Forgejo: the `X-Forgejo-*` headers first, then the `X-Gitea-*` copies Forgejo also sends. */
export const forgejo: ProviderAdapter = giteaFamily('forgejo', ['X-Forgejo', 'X-Gitea']);
