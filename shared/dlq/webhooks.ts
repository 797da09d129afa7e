import { DETAIL_TYPES, SOURCE_EVENT_SOURCE, type SourceEvent, sourceEventDigest } from '../../events';
import type { EventBus } from '../bus/event-bus';
import type { DeadLetter } from '../webhooks/dead-letters';
import type { DeliveryKey } from '../webhooks/deliveries';
import { type FittedEvent, fitForBus } from '../webhooks/fit';
import { adapterFor, deliveryIdOf, parseDelivery, toSourceEvents } from '../webhooks/normalize';
import { errorLine, kept, type RedriveResult, redriven } from './outcome';

/** Port: the digests the webhook receiver stored for the events it verified (the deliveries table). */
export interface AdmittedDigests {
  admittedDigest(key: DeliveryKey, eventId: string): Promise<string | undefined>;
}

export interface WebhookRedriveDeps {
  readonly bus: EventBus;
  readonly admissions: AdmittedDigests;
}

/**
 * The events a webhook dead letter stands for: the delivery normalized again, as the receiver
 * did (same headers, same bytes, same receipt time), keeping only those that missed the bus.
 * @throws WebhookError when the stored delivery no longer parses.
 */
export function eventsOf(letter: DeadLetter): FittedEvent[] {
  const adapter = adapterFor(letter.provider);
  const body = Buffer.from(letter.body.data, letter.body.encoding);
  const delivery = parseDelivery(adapter, { provider: letter.provider, headers: letter.headers, body });
  if (deliveryIdOf(delivery) !== letter.deliveryId) return [];
  const failed = new Set(letter.failedEventIds);
  return toSourceEvents(delivery, letter.receivedAt)
    .filter((event) => failed.has(event.eventId))
    .map(fitForBus);
}

/**
 * Publishes again the events of a delivery the bus would not take. Only the exact events the
 * receiver admitted are sent (each one's digest must equal the one stored with the delivery),
 * so ResolvePlan accepts them; their runs are named after their event ids, so an event that
 * already started a run cannot start another.
 */
export async function redriveWebhookLetter(deps: WebhookRedriveDeps, letter: DeadLetter): Promise<RedriveResult> {
  let events: FittedEvent[];
  try {
    events = eventsOf(letter);
  } catch (error) {
    return kept('not_admitted', `the stored delivery no longer normalizes: ${errorLine(error)}`);
  }
  const refusal = await unadmitted(deps, letter, events);
  if (refusal !== undefined) return kept('not_admitted', refusal);
  let failed: Awaited<ReturnType<EventBus['put']>>;
  try {
    failed = await deps.bus.put(events.map(busEventOf));
  } catch (error) {
    return kept('send_failed', `PutEvents failed: ${errorLine(error)}`);
  }
  if (failed.length > 0) {
    const which = failed.map((f) => `${(f.event.detail as SourceEvent).eventId} (${f.errorCode})`).join(', ');
    return kept('send_failed', `the bus refused ${which}; the others were published`);
  }
  return redriven(`published ${events.map((e) => e.detail.eventId).join(', ')}`);
}

/** Why the events may not be published, or undefined when each is exactly what the receiver admitted. */
async function unadmitted(
  deps: WebhookRedriveDeps,
  letter: DeadLetter,
  events: readonly FittedEvent[],
): Promise<string | undefined> {
  const found = new Set(events.map((e) => e.detail.eventId));
  const missing = letter.failedEventIds.filter((id) => !found.has(id));
  if (missing.length > 0) return `the stored delivery does not normalize to ${missing.join(', ')}`;
  const key: DeliveryKey = { provider: letter.provider, deliveryId: letter.deliveryId };
  for (const { detail } of events) {
    const admitted = await deps.admissions.admittedDigest(key, detail.eventId);
    if (admitted === undefined)
      return `no verified delivery holds ${detail.eventId} (expired, replayed, or never admitted)`;
    if (admitted !== sourceEventDigest(detail))
      return `${detail.eventId} differs from what the webhook receiver verified`;
  }
  return undefined;
}

function busEventOf({ detail, json }: FittedEvent) {
  return { source: SOURCE_EVENT_SOURCE, detailType: DETAIL_TYPES[detail.kind], detail, detailJson: json };
}
