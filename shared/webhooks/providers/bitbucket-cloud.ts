import * as z from 'zod/mini';
import { type Commit, lazyCompiled, type PullRequestAction, type SourceChange } from '../../../events';
import { readPayload } from '../payload';
import { header } from '../request';
import { hmacSha256 } from '../signatures';
import { optionalString, pullRequestChange, qualifiedRef, refChange, stringAt, verifyHmacHeader } from './common';
import type { ProviderAdapter } from './types';

const Account = z.nullish(
  z.object({
    nickname: optionalString,
    display_name: optionalString,
    uuid: optionalString,
    account_id: optionalString,
  }),
);

const Repository = z.object({
  full_name: z.string(),
  links: z.nullish(z.object({ html: z.nullish(z.object({ href: z.string() })) })),
});

const RefState = z.nullish(
  z.object({ type: z.string(), name: z.string(), target: z.nullish(z.object({ hash: z.string() })) }),
);

const BitbucketCommit = z.object({
  hash: z.string(),
  message: optionalString,
  date: optionalString,
  author: z.nullish(z.object({ raw: optionalString, user: Account })),
});

const Change = z
  .object({
    new: RefState,
    old: RefState,
    forced: z.nullish(z.boolean()),
    commits: z.nullish(z.array(BitbucketCommit)),
    /** Bitbucket lists at most 5 commits of a change and says so here. */
    truncated: z.nullish(z.boolean()),
  })
  .check(z.refine((change) => change.new != null || change.old != null, { message: 'a change needs `new` or `old`' }));

export const PushPayload = lazyCompiled(
  z.object({
    actor: Account,
    repository: Repository,
    push: z.object({ changes: z.array(Change) }),
  }),
);

export const PullRequestPayload = lazyCompiled(
  z.object({
    actor: Account,
    repository: Repository,
    pullrequest: z.object({
      id: z.number().check(z.int()),
      title: z.string(),
      state: optionalString,
      author: Account,
      source: z.object({
        branch: z.nullish(z.object({ name: z.string() })),
        commit: z.nullish(z.object({ hash: z.string() })),
        repository: z.nullish(z.object({ full_name: z.string() })),
      }),
      destination: z.object({ branch: z.nullish(z.object({ name: z.string() })) }),
    }),
  }),
);

type BitbucketAccount = z.infer<typeof Account>;
type BitbucketRepository = z.infer<typeof Repository>;
type BitbucketChange = z.infer<typeof Change>;

/** Bitbucket sends no clone link in webhooks; the HTTPS clone URL is the web URL plus `.git`. */
function repositoryFacts(repo: BitbucketRepository): SourceChange['repository'] {
  const htmlUrl = repo.links?.html?.href ?? null;
  return { fullName: repo.full_name, cloneUrl: htmlUrl === null ? null : `${htmlUrl}.git`, htmlUrl };
}

/**
 * The account's nickname (stable, URL-safe), else its display name: Bitbucket Cloud dropped
 * usernames from payloads in 2019 and `account_id`/`uuid` mean nothing to a person reading a log.
 */
function accountName(account: BitbucketAccount): string | null {
  return account?.nickname ?? account?.display_name ?? null;
}

/** Commit authors arrive as one git identity string, `Name <email>`; read in linear time. */
export function parseRawAuthor(raw: string | null | undefined): Commit['author'] {
  const text = raw?.trim() ?? '';
  const open = text.lastIndexOf('<');
  if (open === -1 || !text.endsWith('>')) return { name: text || null, email: null };
  return { name: text.slice(0, open).trim() || null, email: text.slice(open + 1, -1).trim() || null };
}

function commitOfBitbucket(c: z.infer<typeof BitbucketCommit>): Commit {
  const author = parseRawAuthor(c.author?.raw);
  return {
    id: c.hash,
    message: c.message ?? '',
    author: {
      name: author.name ?? accountName(c.author?.user),
      email: author.email,
      ...(c.author?.user?.nickname ? { username: c.author.user.nickname } : {}),
    },
    timestamp: c.date ?? null,
  };
}

/** Names are bare; whether it is a tag comes from `type` (tag names may contain `/`). */
function changeOf(
  change: BitbucketChange,
  repository: SourceChange['repository'],
  pusher: string | null,
  pusherId: string | null,
): SourceChange {
  const state = change.new ?? change.old;
  return refChange({
    repository,
    ref: qualifiedRef(state?.name ?? '', state?.type === 'tag'),
    before: change.old?.target?.hash ?? null,
    after: change.new?.target?.hash ?? null,
    created: change.old == null,
    deleted: change.new == null,
    forced: change.forced ?? null,
    commits: (change.commits ?? []).map(commitOfBitbucket),
    // The total is not given; a truncated list holds at least one commit more than it shows.
    totalCommits: change.truncated ? (change.commits?.length ?? 0) + 1 : null,
    pusher,
    sender: pusher,
    senderId: pusherId,
  });
}

/** One delivery can update several refs: one canonical change each. */
function push(eventName: string, payload: unknown): SourceChange[] {
  const p = readPayload(PushPayload, payload, eventName);
  const repository = repositoryFacts(p.repository);
  const pusher = accountName(p.actor);
  // The same id the pull request lookups name people by: the uuid, else the account id.
  const pusherId = p.actor?.uuid ?? p.actor?.account_id ?? null;
  return p.push.changes.map((change) => changeOf(change, repository, pusher, pusherId));
}

const PR_ACTIONS: ReadonlyMap<string, PullRequestAction> = new Map([
  ['pullrequest:created', 'opened'],
  ['pullrequest:updated', 'updated'],
  ['pullrequest:fulfilled', 'merged'],
  ['pullrequest:rejected', 'closed'],
]);

function pullRequest(eventName: string, action: PullRequestAction, payload: unknown): SourceChange[] {
  const p = readPayload(PullRequestPayload, payload, eventName);
  const pr = p.pullrequest;
  return [
    pullRequestChange({
      repository: repositoryFacts(p.repository),
      number: pr.id,
      action,
      rawAction: eventName,
      title: pr.title,
      sourceBranch: pr.source.branch?.name ?? null,
      targetBranch: pr.destination.branch?.name ?? null,
      sourceRepository: pr.source.repository?.full_name ?? null,
      // Bitbucket sends a 12-character abbreviated hash here; it is kept as sent.
      headSha: pr.source.commit?.hash ?? null,
      merged: action === 'merged' || pr.state === 'MERGED',
      author: accountName(pr.author),
      sender: accountName(p.actor),
    }),
  ];
}

/** Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>` over the raw body; bare ref names in `push.changes[]`. */
export const bitbucketCloud: ProviderAdapter = {
  provider: 'bitbucket-cloud',
  bodyFormats: ['json'],
  eventNameSource: 'X-Event-Key',
  pushEventName: 'repo:push',

  verify: (request, secrets) => verifyHmacHeader(request, ['x-hub-signature'], 'sha256=', secrets),
  deliveryId: (request) => header(request.headers, 'x-request-uuid'),
  eventName: (request) => header(request.headers, 'x-event-key'),
  repositoryOf: (payload) => stringAt(payload, 'repository', 'full_name'),

  normalize(eventName, payload) {
    if (eventName === 'repo:push') return push(eventName, payload);
    const action = PR_ACTIONS.get(eventName);
    return action === undefined ? [] : pullRequest(eventName, action, payload);
  },

  deliveryHeaders: ({ body, secret, eventName, deliveryId }) => ({
    'X-Event-Key': eventName,
    'X-Request-UUID': deliveryId,
    'X-Hub-Signature': `sha256=${hmacSha256(secret, body).toString('hex')}`,
  }),
};
