import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/** One event for the bus. */
export interface BusEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  /** `detail` already serialized, when the caller had to serialize it anyway. */
  readonly detailJson?: string;
}

export interface FailedBusEvent<E extends BusEvent = BusEvent> {
  readonly event: E;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** Port: publishes events; reports what could not be published instead of throwing. */
export interface EventBus {
  put<E extends BusEvent>(events: readonly E[]): Promise<FailedBusEvent<E>[]>;
}

/** EventBridge's limits on one PutEvents call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** Entry errors that a retry cannot fix. */
const PERMANENT_ERRORS = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
  'NotAuthorizedForSourceException',
  'EntryTooLarge',
]);

export interface EventBridgeBusOptions {
  /** Attempts per entry, counting the first. @default 3 */
  readonly attempts?: number;
  /** Waits between attempts; injectable so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * PutEvents with EventBridge's batching rules (10 entries, 256 KB per call), checking
 * `FailedEntryCount` and retrying only the entries that failed for a transient reason.
 */
export class EventBridgeBus implements EventBus {
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    options: EventBridgeBusOptions = {},
  ) {
    this.attempts = options.attempts ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async put<E extends BusEvent>(events: readonly E[]): Promise<FailedBusEvent<E>[]> {
    const failed: FailedBusEvent<E>[] = [];
    let pending = events.map((event) => ({ event, entry: this.entryOf(event) }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const oversize = pending.filter((p) => entrySize(p.entry) > PUT_EVENTS_MAX_BYTES);
      for (const { event } of oversize) failed.push({ event, errorCode: 'EntryTooLarge', errorMessage: 'over 256 KB' });
      const sendable = pending.filter((p) => entrySize(p.entry) <= PUT_EVENTS_MAX_BYTES);
      const outcomes = (await Promise.all(batches(sendable).map((batch) => this.send(batch)))).flat();
      const retry = outcomes.filter((o) => o.errorCode !== undefined && !PERMANENT_ERRORS.has(o.errorCode));
      for (const o of outcomes) {
        if (o.errorCode === undefined) continue;
        if (attempt >= this.attempts || PERMANENT_ERRORS.has(o.errorCode)) {
          failed.push({ event: o.item.event, errorCode: o.errorCode, errorMessage: o.errorMessage ?? '' });
        }
      }
      pending = attempt >= this.attempts ? [] : retry.map((o) => o.item);
      if (pending.length > 0) await this.sleep(50 * 2 ** attempt * (0.5 + Math.random() / 2));
    }
    return failed;
  }

  private entryOf(event: BusEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: event.detailJson ?? JSON.stringify(event.detail),
    };
  }

  private async send<T extends { entry: PutEventsRequestEntry }>(
    batch: readonly T[],
  ): Promise<{ item: T; errorCode?: string; errorMessage?: string }[]> {
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }));
      if (!out.FailedEntryCount) return batch.map((item) => ({ item }));
      return batch.map((item, i) => {
        const result = out.Entries?.[i];
        return result?.ErrorCode
          ? { item, errorCode: result.ErrorCode, errorMessage: result.ErrorMessage ?? '' }
          : { item };
      });
    } catch (error) {
      const code = error instanceof Error ? error.name : 'PutEventsFailed';
      return batch.map((item) => ({ item, errorCode: code, errorMessage: 'PutEvents call failed' }));
    }
  }
}

/** The size EventBridge charges an entry against its limits. */
export function entrySize(entry: PutEventsRequestEntry): number {
  return (
    Buffer.byteLength(entry.Source ?? '') +
    Buffer.byteLength(entry.DetailType ?? '') +
    Buffer.byteLength(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((sum, r) => sum + Buffer.byteLength(r), 0) +
    (entry.Time ? 14 : 0)
  );
}

function batches<T extends { entry: PutEventsRequestEntry }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entrySize(item.entry);
    if (current.length === PUT_EVENTS_MAX_ENTRIES || (current.length > 0 && bytes + size > PUT_EVENTS_MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
