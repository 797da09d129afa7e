import type { Provider } from '../../events';
import { adapterFor } from '../../shared/webhooks/normalize';

/** One commit of a push, as `git log` knows it. */
export interface PushCommit {
  readonly id: string;
  readonly message: string;
  readonly author: { name: string; email: string };
  readonly committer: { name: string; email: string };
  /** The author date (ISO 8601), which every provider's push payload carries. */
  readonly timestamp: string;
  /** @default timestamp */
  readonly committedAt?: string;
}

/** The facts of one push, as `git` knows them; commits oldest first. */
export interface PushFacts {
  readonly repository: string;
  readonly cloneUrl: string;
  readonly branch: string;
  readonly before: string;
  readonly after: string;
  readonly commits: readonly PushCommit[];
  /** The pusher's account name. */
  readonly pusher: string;
  /** @default pusher */
  readonly pusherName?: string;
  /** @default `<pusher>@example.com` */
  readonly pusherEmail?: string;
}

/** A push payload in one provider's own shape; the delivery id matters only where the body carries it. */
export type PushPayloadBuilder = (push: PushFacts, deliveryId: string) => Record<string, unknown>;

const ZERO_SHA = '0'.repeat(40);

const isCreation = (push: PushFacts) => /^0+$/.test(push.before);
const committedAt = (c: PushCommit) => c.committedAt ?? c.timestamp;
const pusherName = (push: PushFacts) => push.pusherName ?? push.pusher;
const pusherEmail = (push: PushFacts) => push.pusherEmail ?? `${push.pusher}@example.com`;
/** `a/b/c` → `['a/b', 'c']`: the namespace (every group) and the last segment. */
function splitName(fullName: string): [string, string] {
  const at = fullName.lastIndexOf('/');
  return at === -1 ? ['local', fullName] : [fullName.slice(0, at), fullName.slice(at + 1)];
}
const newestFirst = (commits: readonly PushCommit[]) => [...commits].reverse();

/**
 * GitHub `push` (the fields GitHub sends that Gantry or a reader would look at). No `username`
 * in commit people: GitHub adds one only for an e-mail that belongs to an account, which local git cannot know.
 */
export function githubPushPayload(push: PushFacts): Record<string, unknown> {
  const [owner] = splitName(push.repository);
  const head = push.commits.at(-1);
  const commit = (c: PushCommit) => ({
    id: c.id,
    tree_id: c.id,
    distinct: true,
    message: c.message,
    timestamp: c.timestamp,
    author: c.author,
    committer: c.committer,
    added: [],
    removed: [],
    modified: [],
  });
  return {
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    created: isCreation(push),
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${push.cloneUrl}/compare/${push.before.slice(0, 12)}...${push.after.slice(0, 12)}`,
    commits: push.commits.map(commit),
    head_commit: head
      ? commit(head)
      : { id: push.after, message: '', timestamp: new Date().toISOString(), author: { name: push.pusher, email: '' } },
    repository: {
      name: splitName(push.repository)[1],
      full_name: push.repository,
      private: true,
      owner: { name: owner, login: owner },
      html_url: push.cloneUrl,
      clone_url: push.cloneUrl,
      default_branch: 'main',
    },
    pusher: { name: push.pusher, email: pusherEmail(push) },
    sender: { login: push.pusher, type: 'User' },
  };
}

/** Gitea and Forgejo `push`: GitHub-like, but users are `login`/`username` and the total is `total_commits`. */
export function giteaPushPayload(push: PushFacts): Record<string, unknown> {
  const [owner, name] = splitName(push.repository);
  const person = (p: { name: string; email: string }) => ({ ...p, username: '' });
  const commit = (c: PushCommit) => ({
    id: c.id,
    message: c.message,
    url: `${push.cloneUrl}/commit/${c.id}`,
    author: person(c.author),
    committer: person(c.committer),
    verification: null,
    timestamp: c.timestamp,
    added: [],
    removed: [],
    modified: [],
  });
  const user = { login: push.pusher, username: push.pusher, full_name: pusherName(push), email: pusherEmail(push) };
  const head = push.commits.at(-1);
  return {
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    compare_url: `${push.cloneUrl}/compare/${push.before}...${push.after}`,
    commits: push.commits.map(commit),
    total_commits: push.commits.length,
    head_commit: head ? commit(head) : null,
    repository: {
      name,
      full_name: push.repository,
      owner: { login: owner, username: owner },
      private: true,
      html_url: push.cloneUrl,
      clone_url: push.cloneUrl,
      default_branch: 'main',
    },
    pusher: user,
    sender: user,
  };
}

/** GitLab "Push Hook": the project's `path_with_namespace` keeps every subgroup. */
export function gitlabPushPayload(push: PushFacts): Record<string, unknown> {
  const [namespace, name] = splitName(push.repository);
  const project = {
    name,
    namespace,
    path_with_namespace: push.repository,
    web_url: push.cloneUrl,
    git_http_url: push.cloneUrl,
    default_branch: 'main',
  };
  return {
    object_kind: 'push',
    event_name: 'push',
    before: push.before,
    after: push.after,
    ref: `refs/heads/${push.branch}`,
    checkout_sha: push.after,
    message: null,
    user_name: pusherName(push),
    user_username: push.pusher,
    user_email: '',
    project,
    commits: push.commits.map((c) => ({
      id: c.id,
      message: c.message,
      title: c.message.split('\n', 1)[0],
      timestamp: c.timestamp,
      url: `${push.cloneUrl}/-/commit/${c.id}`,
      author: c.author,
      added: [],
      modified: [],
      removed: [],
    })),
    total_commits_count: push.commits.length,
    push_options: {},
    repository: { name, homepage: push.cloneUrl, git_http_url: push.cloneUrl },
  };
}

/**
 * Bitbucket Cloud `repo:push`: bare branch names, commits newest first, authors as one `raw`
 * identity (no `user`: local git cannot know which e-mail belongs to an account).
 */
export function bitbucketCloudPushPayload(push: PushFacts): Record<string, unknown> {
  const commit = (c: PushCommit) => ({
    type: 'commit',
    hash: c.id,
    date: c.timestamp,
    author: { type: 'author', raw: `${c.author.name} <${c.author.email}>` },
    message: c.message,
  });
  const head = push.commits.at(-1);
  const state = (hash: string, target: Record<string, unknown> = {}) => ({
    type: 'branch',
    name: push.branch,
    target: { type: 'commit', hash, ...target },
  });
  return {
    push: {
      changes: [
        {
          old: isCreation(push) ? null : state(push.before),
          new: state(push.after, head ? commit(head) : {}),
          created: isCreation(push),
          forced: false,
          closed: false,
          truncated: false,
          commits: newestFirst(push.commits).map(commit),
        },
      ],
    },
    repository: {
      type: 'repository',
      full_name: push.repository,
      name: splitName(push.repository)[1],
      links: { html: { href: push.cloneUrl } },
      is_private: true,
    },
    actor: { type: 'user', display_name: pusherName(push), nickname: push.pusher },
  };
}

/** Bitbucket Data Center `repo:refs_changed`: the repository is `<project key>/<slug>`, times in epoch ms. */
export function bitbucketDcPushPayload(push: PushFacts): Record<string, unknown> {
  const [key, slug] = splitName(push.repository);
  const commit = (c: PushCommit) => ({
    id: c.id,
    displayId: c.id.slice(0, 11),
    author: { name: c.author.name, emailAddress: c.author.email },
    authorTimestamp: Date.parse(c.timestamp),
    committer: { name: c.committer.name, emailAddress: c.committer.email },
    committerTimestamp: Date.parse(committedAt(c)),
    message: c.message,
  });
  const refId = `refs/heads/${push.branch}`;
  const head = push.commits.at(-1);
  return {
    eventKey: 'repo:refs_changed',
    date: new Date().toISOString(),
    actor: {
      name: push.pusher,
      emailAddress: pusherEmail(push),
      displayName: pusherName(push),
      slug: push.pusher,
      type: 'NORMAL',
    },
    repository: {
      slug,
      name: slug,
      project: { key, name: key },
      links: { clone: [{ href: push.cloneUrl, name: 'http' }], self: [{ href: push.cloneUrl }] },
    },
    changes: [
      {
        ref: { id: refId, displayId: push.branch, type: 'BRANCH' },
        refId,
        fromHash: isCreation(push) ? ZERO_SHA : push.before,
        toHash: push.after,
        type: isCreation(push) ? 'ADD' : 'UPDATE',
      },
    ],
    commits: newestFirst(push.commits).map(commit),
    ...(head ? { toCommit: commit(head) } : {}),
  };
}

/** Azure DevOps `git.push` service hook: the event name and delivery id are in the body; commits newest first. */
export function azureDevopsPushPayload(push: PushFacts, deliveryId: string): Record<string, unknown> {
  const [project, name] = splitName(push.repository);
  const text = `${pusherName(push)} pushed updates to ${name}:${push.branch}.`;
  return {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    notificationId: 1,
    id: deliveryId,
    eventType: 'git.push',
    publisherId: 'tfs',
    message: { text },
    detailedMessage: { text },
    resource: {
      commits: newestFirst(push.commits).map((c) => ({
        commitId: c.id,
        author: { ...c.author, date: c.timestamp },
        committer: { ...c.committer, date: committedAt(c) },
        comment: c.message,
        url: `${push.cloneUrl}/commit/${c.id}`,
      })),
      refUpdates: [{ name: `refs/heads/${push.branch}`, oldObjectId: push.before, newObjectId: push.after }],
      repository: {
        name,
        project: { name: project, state: 'wellFormed' },
        defaultBranch: 'refs/heads/main',
        remoteUrl: push.cloneUrl,
        webUrl: push.cloneUrl,
      },
      pushedBy: { displayName: pusherName(push), uniqueName: pusherEmail(push) },
      date: new Date().toISOString(),
    },
    resourceVersion: '1.0',
    createdDate: new Date().toISOString(),
  };
}

/** Every provider's own push payload. A full record, so a new provider does not compile without one. */
export const PUSH_PAYLOADS: Readonly<Record<Provider, PushPayloadBuilder>> = {
  github: githubPushPayload,
  gitea: giteaPushPayload,
  forgejo: giteaPushPayload,
  gitlab: gitlabPushPayload,
  'bitbucket-cloud': bitbucketCloudPushPayload,
  'bitbucket-dc': bitbucketDcPushPayload,
  'azure-devops': azureDevopsPushPayload,
};

/** A push delivery as the provider sends it: its payload, and its headers signed with `secret` its own way. */
export interface PushDelivery {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** The provider's own push delivery for `push`, authenticated as the receiver's adapter expects. */
export function pushDelivery(provider: Provider, push: PushFacts, secret: string, deliveryId: string): PushDelivery {
  const body = Buffer.from(JSON.stringify(PUSH_PAYLOADS[provider](push, deliveryId)));
  const adapter = adapterFor(provider);
  const headers = adapter.deliveryHeaders({ body, secret, eventName: adapter.pushEventName, deliveryId });
  return { body, headers: { 'content-type': 'application/json', ...headers } };
}
