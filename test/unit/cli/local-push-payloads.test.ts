import { type PushCommit, type PushFacts, pushDelivery } from '../../../cli/local/push-payloads';
import { type Commit, type Provider, type SourceEvent, SourceEventSchema } from '../../../events';
import { adapterFor, eventNameOf, parseDelivery, toSourceEvents } from '../../../shared/webhooks/normalize';
import { normalizeHeaders, type WebhookRequest } from '../../../shared/webhooks/request';

const BEFORE = 'e1d2c3b4a5f60718293a4b5c6d7e8f9012345678';
const FIRST = '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0';
const AFTER = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';
const CLONE_URL = 'file:///home/ada/src/gantry-demo';

/** Two commits, oldest first, each with an author other than its committer, as `git log` gives them. */
const COMMITS: readonly PushCommit[] = [
  {
    id: FIRST,
    message: 'Add the build badge\n\nShows the pipeline status in the README.',
    author: { name: 'Ada Lovelace', email: 'ada@example.com' },
    committer: { name: 'Charles Babbage', email: 'charles@example.com' },
    timestamp: '2025-03-04T10:15:00+01:00',
    committedAt: '2025-03-04T10:16:00+01:00',
  },
  {
    id: AFTER,
    message: 'Fix typo in README',
    author: { name: 'Grace Hopper', email: 'grace@example.com' },
    committer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    timestamp: '2025-03-04T10:20:00+01:00',
    committedAt: '2025-03-04T10:21:00+01:00',
  },
];

const facts = (repository: string, overrides: Partial<PushFacts> = {}): PushFacts => ({
  repository,
  cloneUrl: CLONE_URL,
  branch: 'feature/badge',
  before: BEFORE,
  after: AFTER,
  commits: COMMITS,
  pusher: 'ada',
  pusherName: 'Ada Lovelace',
  pusherEmail: 'ada@example.com',
  ...overrides,
});

interface Carried {
  /** Whether the provider's push names each commit's committer. */
  readonly committer: boolean;
  /** The order the provider lists a push's commits in. */
  readonly order: 'oldest first' | 'newest first';
  /** How the timestamp comes back (Bitbucket Data Center sends epoch milliseconds). */
  readonly timestamp: (iso: string) => string;
  readonly totalCommits: number | null;
  readonly pusher: string;
  readonly cloneUrl: string;
}

const asSent = (iso: string) => iso;
const asEpochMs = (iso: string) => new Date(iso).toISOString();

/** The SourceEvent commits a provider's push yields for COMMITS, given what it carries. */
function expectedCommits(carried: Carried): Commit[] {
  const commits = COMMITS.map(
    (c): Commit => ({
      id: c.id,
      message: c.message,
      author: { name: c.author.name, email: c.author.email },
      ...(carried.committer ? { committer: { name: c.committer.name, email: c.committer.email } } : {}),
      timestamp: carried.timestamp(c.timestamp),
    }),
  );
  return carried.order === 'newest first' ? commits.reverse() : commits;
}

/** What the receiver does with a delivery: verify against the connection's secret, then normalize. */
function receive(provider: Provider, delivery: { body: Buffer; headers: Record<string, string> }, secret: string) {
  const adapter = adapterFor(provider);
  const request: WebhookRequest = { provider, headers: normalizeHeaders(delivery.headers), body: delivery.body };
  const parsed = parseDelivery(adapter, request);
  return {
    verification: adapter.verify(request, [secret]),
    repository: adapter.repositoryOf(parsed.payload),
    eventName: eventNameOf(parsed),
    events: toSourceEvents(parsed, '2025-03-04T09:30:00.000Z'),
  };
}

const SECRET = 'local-hook:p4ss-w0rd';
const DELIVERY_ID = '5b0c6f0e-1d7e-4c3a-9a59-2f3e4d5c6b7a';

const PROVIDERS: readonly [Provider, string, Carried][] = [
  [
    'github',
    'gantry-org/gantry-demo',
    {
      committer: true,
      order: 'oldest first',
      timestamp: asSent,
      totalCommits: null,
      pusher: 'ada',
      cloneUrl: CLONE_URL,
    },
  ],
  [
    'gitea',
    'gantry-org/gantry-demo',
    { committer: true, order: 'oldest first', timestamp: asSent, totalCommits: 2, pusher: 'ada', cloneUrl: CLONE_URL },
  ],
  [
    'forgejo',
    'gantry-org/gantry-demo',
    { committer: true, order: 'oldest first', timestamp: asSent, totalCommits: 2, pusher: 'ada', cloneUrl: CLONE_URL },
  ],
  [
    'gitlab',
    'platform/ci/gantry-demo',
    { committer: false, order: 'oldest first', timestamp: asSent, totalCommits: 2, pusher: 'ada', cloneUrl: CLONE_URL },
  ],
  [
    'bitbucket-cloud',
    'gantry-team/gantry-demo',
    {
      committer: false,
      order: 'newest first',
      timestamp: asSent,
      totalCommits: null,
      pusher: 'ada',
      // Bitbucket Cloud sends no clone link: the receiver derives it from the web link.
      cloneUrl: `${CLONE_URL}.git`,
    },
  ],
  [
    'bitbucket-dc',
    'PLAT/gantry-demo',
    {
      committer: true,
      order: 'newest first',
      timestamp: asEpochMs,
      totalCommits: null,
      pusher: 'ada',
      cloneUrl: CLONE_URL,
    },
  ],
  [
    'azure-devops',
    'Platform/gantry-demo',
    {
      committer: true,
      order: 'newest first',
      timestamp: asSent,
      totalCommits: null,
      pusher: 'ada@example.com',
      cloneUrl: CLONE_URL,
    },
  ],
];

describe('pushDelivery', () => {
  it.each(PROVIDERS)(
    'sends a %s push the receiver verifies and reads back in full',
    (provider, repository, carried) => {
      const out = receive(provider, pushDelivery(provider, facts(repository), SECRET, DELIVERY_ID), SECRET);

      expect(out.verification).toBe('valid');
      expect(out.repository).toBe(repository);
      expect(out.eventName).toBe(adapterFor(provider).pushEventName);
      expect(out.events).toHaveLength(1);
      const event = SourceEventSchema.parse(out.events[0]) as SourceEvent;
      expect(event).toMatchObject({
        provider,
        deliveryId: DELIVERY_ID,
        kind: 'push',
        ref: 'refs/heads/feature/badge',
        branch: 'feature/badge',
        tag: null,
        before: BEFORE,
        after: AFTER,
        headSha: AFTER,
        created: false,
        deleted: false,
        totalCommits: carried.totalCommits,
        pusher: carried.pusher,
        sender: carried.pusher,
        repository: { fullName: repository, cloneUrl: carried.cloneUrl, htmlUrl: CLONE_URL },
      });
      expect(event.commits).toEqual(expectedCommits(carried));
    },
  );

  it.each(PROVIDERS)('sends a %s push that creates its branch as a creation', (provider, repository) => {
    const first = COMMITS[0] as PushCommit;
    const push = facts(repository, { before: '0'.repeat(40), after: first.id, commits: [first] });
    const [event] = receive(provider, pushDelivery(provider, push, SECRET, DELIVERY_ID), SECRET).events;

    expect(event).toMatchObject({ kind: 'push', created: true, deleted: false, after: first.id, headSha: first.id });
    expect(event?.commits.map((c) => c.id)).toEqual([first.id]);
  });

  it.each(PROVIDERS)('sends a %s push that another secret does not verify', (provider, repository) => {
    const delivery = pushDelivery(provider, facts(repository), SECRET, DELIVERY_ID);

    expect(receive(provider, delivery, 'other-hook:other-p4ss').verification).toBe('invalid');
  });

  it.each(PROVIDERS)('sends a %s push as JSON, the one body format every provider accepts', (provider, repository) => {
    const { headers } = pushDelivery(provider, facts(repository), SECRET, DELIVERY_ID);

    expect(headers['content-type']).toBe('application/json');
  });
});
