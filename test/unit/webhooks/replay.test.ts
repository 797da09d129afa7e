import { documentClient } from '../../../shared/aws/clients';
import { DynamoDbDeliveryStore } from '../../../shared/webhooks/deliveries';
import { receiveDelivery } from '../../../shared/webhooks/receive';
import { createPkTable, dynaliteTables } from '../../support/aws';
import { githubPushBody, signedDelivery } from '../../support/deliveries';
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
  beforeEach(() => {
    // One day of delivery ids (as in the fakes), 400 days of signed content.
    f = receiverFakes({ deliveries: new DynamoDbDeliveryStore(documentClient(tables.client), tables.name) });
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

  it('knows a push by the move it made, however its body was re-serialized', async () => {
    await receiveDelivery(f.deps, signedDelivery(githubPushBody(), { deliveryId: 'first' }));
    // Same repository, ref, before and after; another body (the provider added a field).
    const again = githubPushBody({ compare: 'https://github.com/acme/widgets/compare/x...y' });
    await expect(receiveDelivery(f.deps, signedDelivery(again, { deliveryId: 'second' }))).resolves.toMatchObject({
      outcome: 'duplicate',
    });
    expect(runsStarted()).toBe(1);
  });

  it('still takes a new move of the ref to a commit it pointed at before (a revert by force-push)', async () => {
    const a = 'a10867b14bb761a232cd80139fbd4c0d33264240';
    const b = '199eddf46df50de8d02e99bf1c5fdb4101338224';
    await receiveDelivery(f.deps, signedDelivery(githubPushBody({ before: a, after: b }), { deliveryId: 'to-b' }));
    await receiveDelivery(f.deps, signedDelivery(githubPushBody({ before: b, after: a }), { deliveryId: 'back-to-a' }));
    await receiveDelivery(f.deps, signedDelivery(githubPushBody({ before: a, after: b }), { deliveryId: 'b-again' }));
    expect(runsStarted()).toBe(2);
    expect(f.audit.records.filter((r) => r.type === 'webhook.replayed')).toHaveLength(1);
  });

  it('lets a retry of the same delivery through after a crash between its claims', async () => {
    const body = githubPushBody();
    // The first attempt claimed the content, then died before publishing (its lease runs out).
    await f.deps.deliveries.claimContent({ provider: 'github', deliveryId: 'crashed' }, [], {
      at: f.now,
      ttlSeconds: 60,
    });
    const first = f.deps.deliveries.claimContent(
      { provider: 'github', deliveryId: 'crashed' },
      [
        'ref:acme/widgets#refs/heads/main#a10867b14bb761a232cd80139fbd4c0d33264240#199eddf46df50de8d02e99bf1c5fdb4101338224',
      ],
      { at: f.now, ttlSeconds: 400 * 86_400 },
    );
    await expect(first).resolves.toBeUndefined();
    await expect(receiveDelivery(f.deps, signedDelivery(body, { deliveryId: 'crashed' }))).resolves.toMatchObject({
      outcome: 'accepted',
    });
    expect(runsStarted()).toBe(1);
  });
});
