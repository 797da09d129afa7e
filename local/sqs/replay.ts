import type { JournalRecord } from './journal';
import type { StoredMessage } from './message';

/** FIFO deduplication: a deduplication id blocks resends for five minutes after the first send. */
export const DEDUP_WINDOW_MS = 5 * 60_000;

/** A FIFO deduplication id still inside its window. */
export interface DedupEntry {
  readonly messageId: string;
  readonly sentAt: number;
  readonly sequenceNumber?: string;
}

/** A queue's durable state: what its journal says, replayed. */
export interface QueueState {
  createdAt: number;
  sequence: number;
  readonly dedup: Map<string, DedupEntry>;
  /** In send order, which is the order messages are offered in. */
  readonly messages: Map<string, StoredMessage>;
}

/** Folds a journal into the state it describes; a journal that does not exist yet gives an empty queue. */
export function replay(records: readonly JournalRecord[], now: number): QueueState {
  const state: QueueState = { createdAt: now, sequence: 0, dedup: new Map(), messages: new Map() };
  for (const record of records) apply(state, record);
  return state;
}

function apply(state: QueueState, record: JournalRecord): void {
  switch (record.t) {
    case 'queue':
      state.createdAt = record.createdAt;
      state.sequence = Math.max(state.sequence, record.sequence);
      for (const [dedupId, messageId, sentAt] of record.dedup) state.dedup.set(dedupId, { messageId, sentAt });
      return;
    case 'send':
      state.messages.set(record.m.id, { ...record.m });
      noteSend(state, record.m);
      return;
    case 'receive':
      received(state.messages.get(record.id), record.at);
      return;
    case 'delete':
      state.messages.delete(record.id);
      return;
    case 'purge':
      state.messages.clear();
      return;
  }
}

/** Records what a send means beyond the message itself: the FIFO sequence and deduplication id. */
export function noteSend(state: QueueState, message: StoredMessage): void {
  if (message.sequenceNumber !== undefined) state.sequence = Math.max(state.sequence, Number(message.sequenceNumber));
  if (message.dedupId !== undefined && message.sourceArn === undefined) {
    const { id: messageId, sentAt, sequenceNumber } = message;
    state.dedup.set(message.dedupId, { messageId, sentAt, sequenceNumber });
  }
}

/** Counts one receive of a stored message. */
export function received(message: StoredMessage | undefined, at: number): void {
  if (message === undefined) return;
  message.receiveCount += 1;
  message.firstReceiveAt ??= at;
}

/**
 * The shortest journal that replays to `state`: a header, then one send record per message still
 * within its retention period, its receive count folded in. Written at every start.
 */
export function compact(state: QueueState, now: number, retentionMs: number): JournalRecord[] {
  const dedup = [...state.dedup]
    .filter(([, entry]) => entry.sentAt + DEDUP_WINDOW_MS > now)
    .map(([dedupId, entry]): [string, string, number] => [dedupId, entry.messageId, entry.sentAt]);
  const header: JournalRecord = { t: 'queue', createdAt: state.createdAt, sequence: state.sequence, dedup };
  const live = [...state.messages.values()].filter((m) => m.sentAt + retentionMs > now);
  return [header, ...live.map((m): JournalRecord => ({ t: 'send', m }))];
}
