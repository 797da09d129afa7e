import * as z from 'zod/mini';
import { type Commit, type GitPerson, lazyCompiled, type PullRequestAction, type SourceChange } from '../../../events';
import { branchName, readPayload } from '../payload';
import { header } from '../request';
import { hmacSha256 } from '../signatures';
import {
  commitsOfSoleChange,
  informationalChange,
  optionalString,
  pullRequestChange,
  refChange,
  stringAt,
  verifyHmacHeader,
} from './common';
import type { ProviderAdapter } from './types';

const Href = z.object({ href: z.string(), name: optionalString });

const Repository = z.object({
  slug: z.string(),
  project: z.object({ key: z.string() }),
  links: z.nullish(z.object({ clone: z.nullish(z.array(Href)), self: z.nullish(z.array(Href)) })),
});

const User = z.nullish(
  z.object({
    name: optionalString,
    displayName: optionalString,
    emailAddress: optionalString,
    slug: optionalString,
    id: z.nullish(z.number()),
  }),
);

const DcCommit = z.object({
  id: z.string(),
  message: optionalString,
  // Epoch milliseconds; outside ECMAScript's Date range (±8.64e15 ms) toISOString() would throw, a 500 not a 400.
  authorTimestamp: z.nullish(z.number().check(z.int(), z.gte(-8.64e15), z.lte(8.64e15))),
  author: User,
  committer: User,
});

export const RefsChangedPayload = lazyCompiled(
  z.object({
    actor: User,
    repository: Repository,
    changes: z.array(
      z
        .object({
          refId: optionalString,
          ref: z.nullish(z.object({ id: z.string() })),
          fromHash: z.string(),
          toHash: z.string(),
          type: z.string(),
        })
        .check(z.refine((change) => (change.refId ?? change.ref?.id) != null, { message: 'a change needs `refId`' })),
    ),
    commits: z.nullish(z.array(DcCommit)),
  }),
);

const PrRef = z.object({
  id: z.string(),
  displayId: optionalString,
  latestCommit: optionalString,
  repository: Repository,
});

export const PullRequestPayload = lazyCompiled(
  z.object({
    actor: User,
    pullRequest: z.object({
      id: z.number().check(z.int()),
      title: z.string(),
      state: optionalString,
      author: z.nullish(z.object({ user: User })),
      fromRef: PrRef,
      toRef: PrRef,
    }),
  }),
);

type DcRepository = z.infer<typeof Repository>;

/** Repositories are named `<project key>/<slug>`; personal repositories have keys like `~gopher`. */
function fullNameOf(repo: DcRepository): string {
  return `${repo.project.key}/${repo.slug}`;
}

/** The HTTP(S) clone link, when the payload lists one (older servers send no links at all). */
function repositoryFacts(repo: DcRepository): SourceChange['repository'] {
  const clone = repo.links?.clone?.find((link) => link.name === 'http' || link.name === 'https');
  return { fullName: fullNameOf(repo), cloneUrl: clone?.href ?? null, htmlUrl: repo.links?.self?.[0]?.href ?? null };
}

/** Only a Bitbucket user has a `slug` (their account); a commit by anyone else carries git's name alone. */
function dcPerson(user: z.infer<typeof User>): GitPerson {
  const person = { name: user?.displayName ?? user?.name ?? null, email: user?.emailAddress ?? null };
  return user?.slug ? { ...person, username: user.slug } : person;
}

function commitOfDc(c: z.infer<typeof DcCommit>): Commit {
  return {
    id: c.id,
    message: c.message ?? '',
    author: dcPerson(c.author),
    ...(c.committer ? { committer: dcPerson(c.committer) } : {}),
    timestamp: c.authorTimestamp == null ? null : new Date(c.authorTimestamp).toISOString(),
  };
}

/** One canonical change per `changes[]` entry; refs are full and hashes are all-zero for ADD/DELETE. */
function refsChanged(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(RefsChangedPayload, payload, eventName);
  const repository = repositoryFacts(p.repository);
  const commits = commitsOfSoleChange(p.changes.length, (p.commits ?? []).map(commitOfDc));
  const pusher = p.actor?.name ?? null;
  return p.changes.map((change) =>
    refChange({
      repository,
      ref: change.refId ?? change.ref?.id ?? '',
      before: change.fromHash,
      after: change.toHash,
      created: change.type === 'ADD',
      deleted: change.type === 'DELETE',
      forced: null,
      commits,
      totalCommits: null,
      pusher,
      sender: pusher,
      senderId: p.actor?.id,
    }),
  );
}

const PR_ACTIONS: ReadonlyMap<string, PullRequestAction> = new Map([
  ['pr:opened', 'opened'],
  ['pr:from_ref_updated', 'updated'],
  ['pr:modified', 'other'],
  ['pr:merged', 'merged'],
  ['pr:declined', 'closed'],
  ['pr:deleted', 'closed'],
]);

/** The target (`toRef`) repository is the event's repository; `fromRef` says where the commits are. */
function pullRequest(eventName: string, action: PullRequestAction, payload: unknown): SourceChange[] {
  const p = readPayload(PullRequestPayload, payload, eventName);
  const pr = p.pullRequest;
  return [
    pullRequestChange({
      repository: repositoryFacts(pr.toRef.repository),
      number: pr.id,
      action,
      rawAction: eventName,
      title: pr.title,
      sourceBranch: pr.fromRef.displayId ?? branchName(pr.fromRef.id),
      targetBranch: pr.toRef.displayId ?? branchName(pr.toRef.id),
      sourceRepository: fullNameOf(pr.fromRef.repository),
      headSha: pr.fromRef.latestCommit ?? null,
      merged: action === 'merged' || pr.state === 'MERGED',
      author: pr.author?.user?.name ?? null,
      sender: p.actor?.name ?? null,
    }),
  ];
}

/** `<project key>/<slug>` of the repository object at `path`, read leniently. */
function fullNameAt(payload: unknown, ...path: readonly string[]): string | undefined {
  const key = stringAt(payload, ...path, 'project', 'key');
  const slug = stringAt(payload, ...path, 'slug');
  return key === undefined || slug === undefined ? undefined : `${key}/${slug}`;
}

const NO_REPOSITORY: SourceChange['repository'] = { fullName: null, cloneUrl: null, htmlUrl: null };

/** Bitbucket Data Center and Server: `X-Hub-Signature: sha256=<hex>`; `diagnostics:ping` on "Test connection". */
export const bitbucketDc: ProviderAdapter = {
  provider: 'bitbucket-dc',
  bodyFormats: ['json'],
  eventNameSource: 'X-Event-Key',
  pushEventName: 'repo:refs_changed',

  verify: (request, secrets) => verifyHmacHeader(request, ['x-hub-signature'], 'sha256=', secrets),
  deliveryId: (request) => header(request.headers, 'x-request-id'),
  eventName: (request) => header(request.headers, 'x-event-key'),

  repositoryOf: (payload) =>
    fullNameAt(payload, 'repository') ?? fullNameAt(payload, 'pullRequest', 'toRef', 'repository'),

  normalize(eventName, payload) {
    if (eventName === 'repo:refs_changed') return refsChanged(eventName, payload);
    if (eventName === 'diagnostics:ping') return [informationalChange('ping', null, NO_REPOSITORY)];
    const action = PR_ACTIONS.get(eventName);
    return action === undefined ? [] : pullRequest(eventName, action, payload);
  },

  deliveryHeaders: ({ body, secret, eventName, deliveryId }) => ({
    'X-Event-Key': eventName,
    'X-Request-Id': deliveryId,
    'X-Hub-Signature': `sha256=${hmacSha256(secret, body).toString('hex')}`,
  }),
};
