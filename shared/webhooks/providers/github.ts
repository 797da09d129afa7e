import * as z from 'zod/mini';
import { lazyCompiled, type SourceChange } from '../../../events';
import { readPayload } from '../payload';
import { header } from '../request';
import { hmacSha256, matchesHmacSha256 } from '../signatures';
import {
  commitOf,
  githubStylePrAction,
  informationalChange,
  optionalString,
  pullRequestChange,
  refChange,
  stringAt,
} from './common';
import type { ProviderAdapter, Verification } from './types';

const Repository = z.object({ full_name: z.string(), clone_url: optionalString, html_url: optionalString });
const Login = z.nullish(z.object({ login: z.string(), id: z.nullish(z.number()) }));

/** A commit's author or committer; `username` is the account, when git's e-mail belongs to one. */
const GitUser = z.nullish(z.object({ name: optionalString, email: optionalString, username: optionalString }));

export const PushPayload = lazyCompiled(
  z.object({
    ref: z.string(),
    before: z.string(),
    after: z.string(),
    created: z.optional(z.boolean()),
    deleted: z.optional(z.boolean()),
    forced: z.nullish(z.boolean()),
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
    head_commit: z.nullish(z.object({ id: z.string() })),
    repository: Repository,
    pusher: z.nullish(z.object({ name: optionalString })),
    sender: Login,
  }),
);

export const PullRequestPayload = lazyCompiled(
  z.object({
    action: z.string(),
    number: z.number().check(z.int()),
    pull_request: z.object({
      title: z.string(),
      merged: z.nullish(z.boolean()),
      user: Login,
      head: z.object({ ref: z.string(), sha: z.string(), repo: z.nullish(z.object({ full_name: z.string() })) }),
      base: z.object({ ref: z.string() }),
    }),
    repository: Repository,
    sender: Login,
  }),
);

export const RefEventPayload = lazyCompiled(
  z.object({
    ref: z.string(),
    ref_type: z.enum(['branch', 'tag']),
    repository: Repository,
    sender: Login,
  }),
);

export const PingPayload = lazyCompiled(z.object({ repository: z.nullish(Repository), sender: Login }));

type GitHubRepository = z.infer<typeof Repository>;

function repositoryFacts(repo: GitHubRepository | null | undefined): SourceChange['repository'] {
  return { fullName: repo?.full_name ?? null, cloneUrl: repo?.clone_url ?? null, htmlUrl: repo?.html_url ?? null };
}

function push(payload: unknown): SourceChange[] {
  const p = readPayload(PushPayload, payload, 'push');
  return [
    refChange({
      repository: repositoryFacts(p.repository),
      ref: p.ref,
      before: p.before,
      after: p.after,
      headSha: p.head_commit?.id ?? p.after,
      ...(p.created === undefined ? {} : { created: p.created }),
      ...(p.deleted === undefined ? {} : { deleted: p.deleted }),
      forced: p.forced ?? null,
      commits: (p.commits ?? []).map(commitOf),
      totalCommits: null,
      pusher: p.pusher?.name ?? null,
      sender: p.sender?.login ?? null,
      senderId: p.sender?.id,
    }),
  ];
}

function pullRequest(payload: unknown): SourceChange[] {
  const p = readPayload(PullRequestPayload, payload, 'pull_request');
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
      author: pr.user?.login ?? null,
      sender: p.sender?.login ?? null,
      senderId: p.sender?.id,
    }),
  ];
}

/** `create` and `delete` duplicate what `push` already says: informational, never a build trigger. */
function refEvent(event: 'create' | 'delete', payload: unknown): SourceChange[] {
  const p = readPayload(RefEventPayload, payload, event);
  const isTag = p.ref_type === 'tag';
  return [
    informationalChange('other', `${event}_${p.ref_type}`, repositoryFacts(p.repository), {
      ref: `${isTag ? 'refs/tags/' : 'refs/heads/'}${p.ref}`,
      branch: isTag ? null : p.ref,
      tag: isTag ? p.ref : null,
      created: event === 'create',
      deleted: event === 'delete',
      sender: p.sender?.login ?? null,
    }),
  ];
}

function ping(payload: unknown): SourceChange[] {
  const p = readPayload(PingPayload, payload, 'ping');
  return [informationalChange('ping', null, repositoryFacts(p.repository), { sender: p.sender?.login ?? null })];
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body; JSON or `payload=` form bodies. */
export const github: ProviderAdapter = {
  provider: 'github',
  bodyFormats: ['json', 'form'],
  eventNameSource: 'X-GitHub-Event',
  pushEventName: 'push',

  verify(request, secrets): Verification {
    const signature = header(request.headers, 'x-hub-signature-256');
    if (signature === undefined) return 'missing';
    const hex = signature.startsWith('sha256=') ? signature.slice('sha256='.length) : undefined;
    return matchesHmacSha256(request.body, hex, secrets) ? 'valid' : 'invalid';
  },

  deliveryId: (request) => header(request.headers, 'x-github-delivery'),
  eventName: (request) => header(request.headers, 'x-github-event'),
  repositoryOf: (payload) => stringAt(payload, 'repository', 'full_name'),

  normalize(eventName, payload) {
    switch (eventName) {
      case 'push':
        return push(payload);
      case 'pull_request':
        return pullRequest(payload);
      case 'create':
      case 'delete':
        return refEvent(eventName, payload);
      case 'ping':
        return ping(payload);
      default:
        return [];
    }
  },

  deliveryHeaders: ({ body, secret, eventName, deliveryId }) => ({
    'X-GitHub-Event': eventName,
    'X-GitHub-Delivery': deliveryId,
    'X-Hub-Signature-256': `sha256=${hmacSha256(secret, body).toString('hex')}`,
  }),
};
