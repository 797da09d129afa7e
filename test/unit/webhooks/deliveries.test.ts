import { documentClient } from '../../../shared/aws/clients';
import { type DeliveryClaim, DynamoDbDeliveryStore } from '../../../shared/webhooks/deliveries';
import { createPkTable, dynaliteTables } from '../../support/aws';

const key = { provider: 'github', deliveryId: 'd-1' } as const;
const at = new Date('2026-11-23T10:00:00Z');
const claim: DeliveryClaim = {
  at,
  leaseMs: 60_000,
  ttlSeconds: 3600,
  repository: 'acme/widgets',
  eventCount: 1,
  sources: { 'github:d-1:0': 'ab' },
};
const later = (ms: number) => ({ ...claim, at: new Date(at.getTime() + ms) });

describe('DynamoDbDeliveryStore (on dynalite)', () => {
  const tables = dynaliteTables(createPkTable, 'deliveries');
  let store: DynamoDbDeliveryStore;
  beforeEach(() => {
    store = new DynamoDbDeliveryStore(documentClient(tables.client), tables.name);
  });

  it('lets exactly one of many concurrent claimants have a delivery', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(key, claim)));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'in_progress')).toHaveLength(19);
  });

  it('reports a settled delivery as a duplicate', async () => {
    await store.claim(key, claim);
    await store.settle(key, 'published', at);
    await expect(store.claim(key, later(1000))).resolves.toBe('duplicate');
  });

  it('hands an abandoned claim to the next claimant once its lease has run out', async () => {
    await store.claim(key, claim);
    await expect(store.claim(key, later(59_000))).resolves.toBe('in_progress');
    await expect(store.claim(key, later(61_000))).resolves.toBe('claimed');
  });

  it('treats an expired record as absent, since TTL deletion may lag', async () => {
    await store.claim(key, claim);
    await store.settle(key, 'published', at);
    await expect(store.claim(key, later(3601_000))).resolves.toBe('claimed');
  });

  it('releases an unsettled claim so the provider retry is processed, but never a settled one', async () => {
    await store.claim(key, claim);
    await store.release(key);
    await expect(store.claim(key, later(1))).resolves.toBe('claimed');
    await store.settle(key, 'dead_lettered', at);
    await store.release(key);
    await expect(store.claim(key, later(2))).resolves.toBe('duplicate');
  });
});
