import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MessageAttributes } from './attributes';
import { invalidParameter, SqsError } from './errors';
import { JournalWriter, readJournal, rewriteJournal } from './journal';
import { type LiveMessage, type MessageState, type StoredMessage, stateOf, toLive, toStored } from './message';
import { compact, DEDUP_WINDOW_MS, noteSend, type QueueState, received, replay } from './replay';
import { Waiters } from './waiters';

/** What a queue is, resolved from its spec. */
export interface QueueSettings {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
}

/** A validated SendMessage entry. */
export interface MessageDraft {
  readonly body: string;
  readonly attributes: MessageAttributes;
  readonly traceHeader?: string;
  readonly delaySeconds: number;
  readonly groupId?: string;
  readonly dedupId?: string;
}

/** What SendMessage answers with besides the digests. */
export interface SentMessage {
  readonly id: string;
  readonly sequenceNumber?: string;
}

const PURGE_INTERVAL_MS = 60_000;

/**
 * One queue: its messages in memory, every change journaled before it is acknowledged.
 * Visibility lives only in memory, so a restart makes in-flight messages visible again.
 */
export class LocalQueue {
  readonly waiters = new Waiters();
  private deadLetter: { readonly queue: LocalQueue; readonly maxReceiveCount: number } | undefined;
  private lastPurgeAt = Number.NEGATIVE_INFINITY;

  private constructor(
    readonly settings: QueueSettings,
    private readonly state: QueueState,
    private readonly messages: Map<string, LiveMessage>,
    private readonly journal: JournalWriter,
  ) {}

  /** Replays the queue's journal under `dataDir`, compacts it, and opens it for appends. */
  static open(settings: QueueSettings, dataDir: string, now: number): LocalQueue {
    const file = join(dataDir, `${settings.name}.jsonl`);
    const state = replay(readJournal(file), now);
    const retentionMs = settings.messageRetentionSeconds * 1000;
    rewriteJournal(file, compact(state, now, retentionMs));
    const live = [...state.messages.values()].filter((m) => m.sentAt + retentionMs > now).map(toLive);
    state.messages.clear();
    return new LocalQueue(settings, state, new Map(live.map((m) => [m.id, m])), new JournalWriter(file));
  }

  get createdAt(): number {
    return this.state.createdAt;
  }

  get redrive(): { readonly targetArn: string; readonly maxReceiveCount: number } | undefined {
    const target = this.deadLetter;
    return target && { targetArn: target.queue.settings.arn, maxReceiveCount: target.maxReceiveCount };
  }

  /** Sends receive counts past `maxReceiveCount` to `queue` instead of delivering them again. */
  setDeadLetter(queue: LocalQueue, maxReceiveCount: number): void {
    this.deadLetter = { queue, maxReceiveCount };
  }

  send(draft: MessageDraft, now: number): SentMessage {
    const dedupId = this.dedupIdOf(draft);
    const duplicate = dedupId === undefined ? undefined : this.duplicate(dedupId, now);
    if (duplicate !== undefined) return duplicate;
    const sequenceNumber = this.settings.fifo ? String(this.state.sequence + 1).padStart(20, '0') : undefined;
    const message: StoredMessage = {
      id: randomUUID(),
      body: draft.body,
      attributes: draft.attributes,
      sentAt: now,
      delayedUntil: now + draft.delaySeconds * 1000,
      receiveCount: 0,
      traceHeader: draft.traceHeader,
      groupId: draft.groupId,
      dedupId,
      sequenceNumber,
    };
    this.store(message);
    return { id: message.id, sequenceNumber };
  }

  /** Takes in a message redriven from another queue, keeping its id, timestamps and receive count. */
  accept(message: StoredMessage, now: number): void {
    this.store({ ...message, delayedUntil: now });
  }

  private store(message: StoredMessage): void {
    this.journal.append({ t: 'send', m: message });
    noteSend(this.state, message);
    this.messages.set(message.id, toLive(message));
    this.waiters.wake();
  }

  private dedupIdOf(draft: MessageDraft): string | undefined {
    if (!this.settings.fifo) return undefined;
    if (draft.dedupId !== undefined || !this.settings.contentBasedDeduplication) return draft.dedupId;
    return createHash('sha256').update(draft.body, 'utf8').digest('hex');
  }

  private duplicate(dedupId: string, now: number): SentMessage | undefined {
    const entry = this.state.dedup.get(dedupId);
    if (entry === undefined || entry.sentAt + DEDUP_WINDOW_MS <= now) return undefined;
    return { id: entry.messageId, sequenceNumber: entry.sequenceNumber };
  }

  /**
   * Takes up to `max` visible messages in send order and hides each for `visibilityMs`. A message
   * past its dead-letter queue's `maxReceiveCount` moves there instead. On a FIFO queue a group
   * with a message in flight gives nothing, so each group is processed in order.
   */
  receive(max: number, visibilityMs: number, now: number): { message: LiveMessage; nonce: string }[] {
    this.expire(now);
    const taken: { message: LiveMessage; nonce: string }[] = [];
    const blockedGroups = new Set<string>();
    for (const message of this.messages.values()) {
      if (taken.length >= max) break;
      if (!this.offered(message, now, blockedGroups) || this.redriven(message, now)) continue;
      taken.push({ message, nonce: this.take(message, visibilityMs, now) });
    }
    return taken;
  }

  private offered(message: LiveMessage, now: number, blockedGroups: Set<string>): boolean {
    const group = this.settings.fifo ? message.groupId : undefined;
    if (stateOf(message, now) === 'visible') return group === undefined || !blockedGroups.has(group);
    if (group !== undefined) blockedGroups.add(group);
    return false;
  }

  private redriven(message: LiveMessage, now: number): boolean {
    const target = this.deadLetter;
    if (target === undefined || message.receiveCount < target.maxReceiveCount) return false;
    target.queue.accept({ ...toStored(message), sourceArn: this.settings.arn }, now);
    this.remove(message.id);
    return true;
  }

  private take(message: LiveMessage, visibilityMs: number, now: number): string {
    this.journal.append({ t: 'receive', id: message.id, at: now });
    received(message, now);
    message.visibleAt = now + visibilityMs;
    message.receipt = randomBytes(8).toString('hex');
    return message.receipt;
  }

  /** Deletes a message; one already gone is no error, as in SQS. */
  delete(messageId: string): void {
    if (this.messages.has(messageId)) this.remove(messageId);
  }

  private remove(messageId: string): void {
    this.journal.append({ t: 'delete', id: messageId });
    this.messages.delete(messageId);
  }

  /** ChangeMessageVisibility for the message a receipt handle names; `handle` is only for the error text. */
  changeVisibility(messageId: string, nonce: string, handle: string, timeoutMs: number, now: number): void {
    const message = this.messages.get(messageId);
    if (message === undefined || message.receipt !== nonce) {
      throw invalidParameter(
        'ReceiptHandle',
        handle,
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    if (stateOf(message, now) !== 'inflight') {
      throw new SqsError('MessageNotInflight', 'The specified message isn\u2019t in flight.', this.settings.name);
    }
    message.visibleAt = now + timeoutMs;
    this.waiters.wake();
  }

  /** PurgeQueue: at most once a minute per queue, as SQS allows. */
  purge(now: number): void {
    if (now - this.lastPurgeAt < PURGE_INTERVAL_MS) {
      throw new SqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${this.settings.name} is allowed every 60 seconds.`,
        this.settings.name,
      );
    }
    this.journal.append({ t: 'purge', at: now });
    this.messages.clear();
    this.lastPurgeAt = now;
  }

  /** How many messages are in each state now. */
  counts(now: number): Record<MessageState, number> {
    this.expire(now);
    const counts = { visible: 0, inflight: 0, delayed: 0 };
    for (const message of this.messages.values()) counts[stateOf(message, now)] += 1;
    return counts;
  }

  /** Every message still held, in send order, with its state now. */
  list(now: number): { message: LiveMessage; state: MessageState }[] {
    this.expire(now);
    return [...this.messages.values()].map((message) => ({ message, state: stateOf(message, now) }));
  }

  /** When the next hidden message becomes visible, for a long poll to wake then. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const { visibleAt } of this.messages.values()) {
      if (visibleAt > now && (next === undefined || visibleAt < next)) next = visibleAt;
    }
    return next;
  }

  private expire(now: number): void {
    const retentionMs = this.settings.messageRetentionSeconds * 1000;
    for (const message of this.messages.values()) {
      if (message.sentAt + retentionMs <= now) this.remove(message.id);
    }
  }

  /** Ends pending long polls and closes the journal. */
  close(): void {
    this.waiters.close();
    this.journal.close();
  }
}
