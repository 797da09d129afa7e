import * as z from 'zod/mini';

const AttributeValueSchema = z.object({
  DataType: z.string(),
  StringValue: z.optional(z.string()),
  BinaryValue: z.optional(z.string()),
});

/**
 * A message as the journal keeps it: what was sent, plus how often it was received. Where it is
 * in its visibility cycle is not kept: after a restart every message is visible again (or still
 * delayed), as an in-flight message is once its consumer is gone.
 */
export const StoredMessageSchema = z.object({
  id: z.string(),
  body: z.string(),
  attributes: z.record(z.string(), AttributeValueSchema),
  traceHeader: z.optional(z.string()),
  /** Epoch ms. Retention counts from here, also after a move to the dead-letter queue, as in SQS. */
  sentAt: z.number(),
  /** Epoch ms before which the message is delayed (DelaySeconds). */
  delayedUntil: z.number(),
  groupId: z.optional(z.string()),
  dedupId: z.optional(z.string()),
  sequenceNumber: z.optional(z.string()),
  /** Set on a message redriven here: the ARN of the queue it came from. */
  sourceArn: z.optional(z.string()),
  receiveCount: z.number(),
  firstReceiveAt: z.optional(z.number()),
});
export type StoredMessage = z.infer<typeof StoredMessageSchema>;

/** A message in memory: its stored form plus its visibility, which lives only as long as the process. */
export interface LiveMessage extends StoredMessage {
  /** Epoch ms from which a ReceiveMessage may return it. */
  visibleAt: number;
  /** The nonce of the latest receipt handle; undefined until received in this process. */
  receipt?: string;
}

/** Where a message is in its cycle, as GetQueueAttributes counts it. */
export type MessageState = 'visible' | 'inflight' | 'delayed';

/** Visible, in flight (received and its visibility timeout running) or delayed (not yet received). */
export function stateOf(message: LiveMessage, now: number): MessageState {
  if (message.visibleAt <= now) return 'visible';
  return message.receipt === undefined ? 'delayed' : 'inflight';
}

/** The live form of a stored message at start or on arrival: visible once its delay is over. */
export function toLive(message: StoredMessage): LiveMessage {
  return { ...message, visibleAt: message.delayedUntil };
}

/** The stored form of a live message, for compaction and redrive. */
export function toStored({ visibleAt: _visibleAt, receipt: _receipt, ...stored }: LiveMessage): StoredMessage {
  return stored;
}
