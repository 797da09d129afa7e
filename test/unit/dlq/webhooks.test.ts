import { sourceEventDigest } from '../../../events';
import { redriveWebhookLetter } from '../../../shared/dlq/webhooks';
import type { DeadLetter } from '../../../shared/webhooks/dead-letters';
import { type DeliveryKey, deliveryPk } from '../../../shared/webhooks/deliveries';
import { receiveDelivery } from '../../../shared/webhooks/receive';
import { githubPushBody, signedDelivery } from '../../support/deliveries';
import { type Fakes, MemoryBus, receiverFakes } from '../../support/receiver-fakes';

/** A push the receiver verified and admitted but could not publish: its dead letter, as the receiver wrote it. */
async function deadLettered(): Promise<{ fakes: Fakes; letter: DeadLetter }> {
  const fakes = receiverFakes();
  fakes.bus.failWith = 'ThrottlingException';
  const receipt = await receiveDelivery(fakes.deps, signedDelivery(githubPushBody(), { deliveryId: 'd-1' }));
  expect(receipt).toMatchObject({ outcome: 'accepted', deadLettered: true });
  const [letter] = fakes.deadLetters.letters;
  if (letter === undefined) throw new Error('no dead letter');
  // Through SQS and back: a dead letter is JSON.
  return { fakes, letter: JSON.parse(JSON.stringify(letter)) as DeadLetter };
}

function admissions(fakes: Fakes) {
  return {
    admittedDigest: async (key: DeliveryKey, eventId: string) => {
      const item = fakes.deliveries.items.get(deliveryPk(key));
      return item?.state === 'replayed' ? undefined : item?.sources[eventId];
    },
  };
}

describe('redriveWebhookLetter', () => {
  it('publishes exactly the events the receiver admitted: same ids, same digests, on the same detail-type', async () => {
    const { fakes, letter } = await deadLettered();
    const bus = new MemoryBus();
    const result = await redriveWebhookLetter({ bus, admissions: admissions(fakes) }, letter);
    expect(result).toEqual({ status: 'redriven', detail: 'published github:d-1:0' });
    expect(bus.published).toHaveLength(1);
    const [published] = bus.published;
    expect(published).toMatchObject({ source: 'gantry.webhooks', detailType: 'Source Push' });
    const detail = JSON.parse(published?.detailJson ?? '{}');
    expect(detail).toMatchObject({ eventId: 'github:d-1:0', receivedAt: letter.receivedAt });
    expect(sourceEventDigest(detail)).toBe(fakes.deliveries.items.get('github#d-1')?.sources['github:d-1:0']);
  });

  it('publishes only the events that missed the bus, not those of the delivery that reached it', async () => {
    const { fakes, letter } = await deadLettered();
    const bus = new MemoryBus();
    const result = await redriveWebhookLetter(
      { bus, admissions: admissions(fakes) },
      { ...letter, failedEventIds: ['github:d-1:7'] },
    );
    expect(result).toEqual({
      status: 'kept',
      code: 'not_admitted',
      detail: 'the stored delivery does not normalize to github:d-1:7',
    });
    expect(bus.published).toHaveLength(0);
  });

  it('refuses a letter whose body was changed after the receiver verified it (another commit)', async () => {
    const { fakes, letter } = await deadLettered();
    const bus = new MemoryBus();
    const forged = {
      ...letter,
      body: {
        ...letter.body,
        data: letter.body.data.replaceAll('199eddf46df50de8d02e99bf1c5fdb4101338224', 'f'.repeat(40)),
      },
    };
    expect(forged.body.data).not.toBe(letter.body.data);
    const result = await redriveWebhookLetter({ bus, admissions: admissions(fakes) }, forged);
    expect(result).toMatchObject({ status: 'kept', code: 'not_admitted', detail: expect.stringContaining('differs') });
    expect(bus.published).toHaveLength(0);
  });

  it('refuses a letter for a delivery nobody verified, or one whose admission was withdrawn as a replay', async () => {
    const { fakes, letter } = await deadLettered();
    const bus = new MemoryBus();
    const unknown = await redriveWebhookLetter(
      { bus, admissions: admissions(fakes) },
      { ...letter, deliveryId: 'made-up' },
    );
    expect(unknown).toMatchObject({ status: 'kept', code: 'not_admitted' });
    const item = fakes.deliveries.items.get('github#d-1');
    if (item) item.state = 'replayed';
    const replayed = await redriveWebhookLetter({ bus, admissions: admissions(fakes) }, letter);
    expect(replayed).toMatchObject({
      status: 'kept',
      code: 'not_admitted',
      detail: expect.stringContaining('no verified delivery'),
    });
    expect(bus.published).toHaveLength(0);
  });

  it('keeps the letter, saying which events the bus refused, when publishing fails again', async () => {
    const { fakes, letter } = await deadLettered();
    const bus = new MemoryBus();
    bus.failWith = 'ThrottlingException';
    const result = await redriveWebhookLetter({ bus, admissions: admissions(fakes) }, letter);
    expect(result).toEqual({
      status: 'kept',
      code: 'send_failed',
      detail: 'the bus refused github:d-1:0 (ThrottlingException); the others were published',
    });
  });

  it('keeps a letter whose stored body no longer parses', async () => {
    const { fakes, letter } = await deadLettered();
    const result = await redriveWebhookLetter(
      { bus: new MemoryBus(), admissions: admissions(fakes) },
      { ...letter, body: { encoding: 'utf8', data: '{"ref": ' } },
    );
    expect(result).toMatchObject({
      status: 'kept',
      code: 'not_admitted',
      detail: expect.stringContaining('no longer normalizes'),
    });
  });
});
