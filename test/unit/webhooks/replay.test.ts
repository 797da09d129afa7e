import { createHash } from 'node:crypto';
import { type SourceEvent, sourceEventDigest } from '../../../events';
import { documentClient } from '../../../shared/aws/clients';
import { ConnectionDirectory } from '../../../shared/webhooks/connections';
import { DynamoDbDeliveryStore } from '../../../shared/webhooks/deliveries';
import { receiveDelivery } from '../../../shared/webhooks/receive';
import { createPkTable, dynaliteTables } from '../../support/aws';
import { fixture, githubPushBody, signedDelivery } from '../../support/deliveries';
import { type Fakes, receiverFakes } from '../../support/receiver-fakes';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A captured delivery sent again. The delivery id header is not signed, so a replayer sends the
 * same signed body under a new id; the deliveries table (on dynalite, with its TTL conditions)
 * must recognise the content whenever it comes back.
 */
describe('replayed deliveries (on dynalite)', () => {
  const tables = dynaliteTables(createPkTable, 'deliveries');
  let f: Fakes;
  let store: DynamoDbDeliveryStore;
  beforeEach(() => {
    // One day of delivery ids (as in the fakes), 400 days of signed content.
    store = new DynamoDbDeliveryStore(documentClient(tables.client), tables.name, () => f.now.getTime());
    f = receiverFakes({ deliveries: store });
  });
  const runsStarted = () => f.bus.published.length;

  it.each([
    ['immediately', 0],
    ['hours later', 5 * HOUR],
    ['after the delivery id has expired', 30 * DAY],
  ])('publishes the same signed body under a new delivery id only once: %s', async (_when, after) => {
    const body = githubPushBody();
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'original' }))).resolves.toMatchObject({
      outcome: 'accepted',
    });
    f.now = new Date(f.now.getTime() + after);
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'replayed-1' }))).resolves.toEqual({
      outcome: 'duplicate',
      deliveryId: 'replayed-1',
    });
    expect(runsStarted()).toBe(1);
    expect(f.audit.records.find((r) => r.type === 'webhook.replayed')).toMatchObject({
      outcome: 'rejected',
      details: { deliveryId: 'replayed-1', replayOf: 'original' },
    });
    // The provider's own redelivery of the replayed id is a plain duplicate.
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'replayed-1' }))).resolves.toMatchObject({
      outcome: 'duplicate',
    });
    expect(runsStarted()).toBe(1);
  });

  it('publishes nothing when the captured delivery comes back with its own id, once that id is forgotten', async () => {
    const body = githubPushBody();
    const original = signedDelivery(body, { deliveryId: 'orig' });
    await expect(receiveDelivery(f.deps, original)).resolves.toMatchObject({ outcome: 'accepted' });
    // The fakes remember delivery ids for a day; signed content for 400 days.
    f.now = new Date(f.now.getTime() + 2 * DAY);
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'orig' }))).resolves.toEqual({
      outcome: 'duplicate',
      deliveryId: 'orig',
    });
    expect(runsStarted()).toBe(1);
    expect(f.audit.records.find((r) => r.type === 'webhook.replayed')).toMatchObject({
      details: { deliveryId: 'orig', replayOf: 'orig' },
    });
    // And ResolvePlan admits nothing under that delivery: the replay removed its digests.
    const [event] = f.bus.published;
    const detail = event?.detail as SourceEvent;
    expect(await store.admittedDigest({ provider: 'github', deliveryId: 'orig' }, detail.eventId)).toBeUndefined();
    // Sent again days later, once that refusal too is forgotten: another replay, on the record again.
    f.now = new Date(f.now.getTime() + 3 * DAY);
    await receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'orig' }));
    expect(f.audit.records.filter((r) => r.type === 'webhook.replayed')).toHaveLength(2);
    expect(runsStarted()).toBe(1);
  });

  it('admits no event of a delivery whose record has expired, though TTL has not deleted it yet', async () => {
    const body = githubPushBody();
    await receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'old' }));
    const detail = f.bus.published[0]?.detail as SourceEvent;
    const key = { provider: 'github' as const, deliveryId: 'old' };
    expect(await store.admittedDigest(key, detail.eventId)).toBe(sourceEventDigest(detail));
    // Past its expiry (a day in the fakes) and still there: TTL deletes expired items days later, local mode never.
    f.now = new Date(f.now.getTime() + 2 * DAY);
    expect(await store.admittedDigest(key, detail.eventId)).toBeUndefined();
  });

  it('admits none of a replay’s events: ResolvePlan finds no digest for them', async () => {
    const body = githubPushBody();
    await receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'original' }));
    await receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'replayed-2' }));
    const key = (deliveryId: string) => ({ provider: 'github' as const, deliveryId });
    await expect(store.admittedDigest(key('original'), 'github:original:0')).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(store.admittedDigest(key('replayed-2'), 'github:replayed-2:0')).resolves.toBeUndefined();
  });

  it('admits none of a replay’s events even when its ledger record could not be written, and writes it on the retry', async () => {
    const body = githubPushBody();
    await receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'original' }));
    f.audit.failing = true;
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'replayed-3' }))).rejects.toThrow(
      'ledger unavailable',
    );
    const key = { provider: 'github' as const, deliveryId: 'replayed-3' };
    await expect(store.admittedDigest(key, 'github:replayed-3:0')).resolves.toBeUndefined();
    expect(runsStarted()).toBe(1);
    // The sender's retry, once the ledger is back, writes the record the first attempt could not: once.
    f.audit.failing = false;
    for (const _ of [1, 2])
      await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'replayed-3' }))).resolves.toEqual({
        outcome: 'duplicate',
        deliveryId: 'replayed-3',
      });
    expect(f.audit.records.filter((r) => r.type === 'webhook.replayed').map((r) => r.details)).toEqual([
      { deliveryId: 'replayed-3', replayOf: 'original' },
    ]);
    expect(runsStarted()).toBe(1);
  });

  it('digests a retried delivery as before, whatever the receiver’s clock said the first time', async () => {
    const body = githubPushBody();
    await receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'again' }));
    const first = await store.admittedDigest({ provider: 'github', deliveryId: 'again' }, 'github:again:0');
    const event = f.bus.published[0]?.detail as SourceEvent;
    expect(sourceEventDigest({ ...event, receivedAt: '2030-01-01T00:00:00.000Z' })).toBe(first);
  });

  it('takes a new change that repeats a ref’s move: a tag deleted and pushed again, a branch moved back and forth', async () => {
    const a = 'a10867b14bb761a232cd80139fbd4c0d33264240';
    const b = '199eddf46df50de8d02e99bf1c5fdb4101338224';
    const push = (before: string, after: string, id: string, note: string) =>
      receiveDelivery(f.deps, signedDelivery(githubPushBody({ before, after, compare: note }), { deliveryId: id }));
    await push(a, b, 'to-b', '1');
    await push(b, a, 'back-to-a', '2');
    await push(a, b, 'b-again', '3');
    expect(runsStarted()).toBe(3);
    expect(f.audit.records.filter((r) => r.type === 'webhook.replayed')).toHaveLength(0);
  });

  it('refuses an ignored delivery’s body sent again under an event name Gantry acts on (the header is not signed)', async () => {
    // Bitbucket Cloud signs the body only; its event name is the X-Event-Key header.
    f = receiverFakes({
      deliveries: store,
      connections: new ConnectionDirectory([
        { name: 'bb', provider: 'bitbucket-cloud', secretId: 'gantry/connections/github-main', repositories: [] },
      ]),
    });
    const body = fixture('webhooks', 'bitbucket-cloud', 'pullrequest-created.json');
    const bitbucket = { provider: 'bitbucket-cloud' as const };
    // An approval of the pull request: nothing Gantry acts on.
    await expect(
      receiveDelivery(
        f.deps,
        signedDelivery(body, { ...bitbucket, eventName: 'pullrequest:approved', deliveryId: 'real' }),
      ),
    ).resolves.toMatchObject({ outcome: 'ignored' });
    // Its redelivery is ignored again.
    await expect(
      receiveDelivery(
        f.deps,
        signedDelivery(body, { ...bitbucket, eventName: 'pullrequest:approved', deliveryId: 'real' }),
      ),
    ).resolves.toMatchObject({ outcome: 'ignored' });
    // The same signed bytes as "created", under a new delivery id or its own: a replay, nothing published.
    for (const deliveryId of ['replayed', 'real'])
      await expect(
        receiveDelivery(f.deps, signedDelivery(body, { ...bitbucket, eventName: 'pullrequest:created', deliveryId })),
      ).resolves.toEqual({ outcome: 'duplicate', deliveryId });
    expect(runsStarted()).toBe(0);
    // The same kind of body never seen before is taken.
    const fresh = Buffer.from(body.toString('utf8').replace('"id": 23', '"id": 24'));
    expect(fresh.equals(body)).toBe(false);
    await expect(
      receiveDelivery(
        f.deps,
        signedDelivery(fresh, { ...bitbucket, eventName: 'pullrequest:created', deliveryId: 'new' }),
      ),
    ).resolves.toMatchObject({ outcome: 'accepted' });
  });

  it('cannot be pre-empted by a delivery id shaped like a content key', async () => {
    const body = githubPushBody();
    const digest = createHash('sha256').update(body).digest('hex');
    await receiveDelivery(
      f.deps,
      signedDelivery(githubPushBody({ compare: 'x' }), { deliveryId: `content#github#body:${digest}` }),
    );
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'real' }))).resolves.toMatchObject({
      outcome: 'accepted',
    });
  });

  it('lets a retry of the same delivery through after a crash between its claims', async () => {
    const body = githubPushBody();
    // The first attempt claimed the content, then died before publishing (its lease runs out).
    await f.deps.deliveries.claimContent({ provider: 'github', deliveryId: 'crashed' }, [], {
      at: f.now,
      ttlSeconds: 60,
      sameDeliveryForSeconds: DAY / 1000,
    });
    const first = f.deps.deliveries.claimContent(
      { provider: 'github', deliveryId: 'crashed' },
      [
        'ref:acme/widgets#refs/heads/main#a10867b14bb761a232cd80139fbd4c0d33264240#199eddf46df50de8d02e99bf1c5fdb4101338224',
      ],
      { at: f.now, ttlSeconds: 400 * 86_400, sameDeliveryForSeconds: DAY / 1000 },
    );
    await expect(first).resolves.toBeUndefined();
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'crashed' }))).resolves.toMatchObject({
      outcome: 'accepted',
    });
    expect(runsStarted()).toBe(1);
  });
});
