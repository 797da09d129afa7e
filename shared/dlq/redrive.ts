import { type Letter, letterOf, reasonOf, subjectOf } from './letters';
import { errorLine, kept, type RedriveResult } from './outcome';
import type { DeadLetterQueue, DeadLetterQueueName, HeldMessage } from './queue';

/** How long a message read here stays hidden from other readers: more than a redrive takes. */
const HOLD_SECONDS = 300;

/** A dead-letter message as `gantry dlq list|show` presents it. */
export interface DeadLetterView {
  readonly queue: DeadLetterQueueName;
  readonly messageId: string;
  readonly letter: Letter;
  readonly subject: string;
  readonly reason: string;
  readonly sentAt: Date;
  /** When SQS drops it without a trace, unless it is redriven first. */
  readonly expiresAt: Date;
  readonly receiveCount: number;
}

/** What became of one message of `gantry dlq redrive`. */
export type RedriveReport = RedriveResult & {
  readonly queue: DeadLetterQueueName;
  readonly messageId: string;
  readonly subject: string;
};

/** Sends one letter on; the queue deletes the message only when the result is `redriven`. */
export type LetterRedriver = (
  letter: Exclude<Letter, { kind: 'foreign' }>,
  queue: DeadLetterQueue,
) => Promise<RedriveResult>;

/** Every message of the queue (up to `limit`), left in the queue. */
export async function peekQueue(queue: DeadLetterQueue, limit: number): Promise<DeadLetterView[]> {
  const held = await holdAll(queue, limit);
  try {
    return await Promise.all(held.map((m) => viewOf(queue, m)));
  } finally {
    await releaseAll(queue, held);
  }
}

/**
 * Redrives the queue's messages (those `select` picks, or all; at most `limit`). A message leaves
 * the queue only once it has been sent on; any other is made visible again at once, with the reason.
 */
export async function redriveQueue(
  queue: DeadLetterQueue,
  redrive: LetterRedriver,
  options: { readonly select?: (messageId: string) => boolean; readonly limit: number },
): Promise<RedriveReport[]> {
  const held = await holdAll(queue, options.limit);
  const chosen = held
    .filter((m) => options.select === undefined || options.select(m.messageId))
    .slice(0, options.limit);
  const others = held.filter((m) => !chosen.includes(m));
  const reports: RedriveReport[] = [];
  try {
    for (const message of chosen) reports.push(await redriveOne(queue, redrive, message));
  } finally {
    await releaseAll(queue, others);
  }
  return reports;
}

async function redriveOne(
  queue: DeadLetterQueue,
  redrive: LetterRedriver,
  message: HeldMessage,
): Promise<RedriveReport> {
  const letter = letterOf(message);
  const about = { queue: queue.name, messageId: message.messageId, subject: subjectOf(letter) };
  let result: RedriveResult;
  try {
    result = letter.kind === 'foreign' ? kept('foreign', letter.why) : await redrive(letter, queue);
  } catch (error) {
    result = kept('send_failed', errorLine(error));
  }
  try {
    await (result.status === 'redriven' ? queue.delete(message) : queue.release(message));
  } catch (error) {
    // Sent on but not deleted: it reappears after the hold and a second redrive is harmless (idempotent).
    return { ...about, ...result, detail: `${result.detail}; not removed from the queue: ${errorLine(error)}` };
  }
  return { ...about, ...result };
}

/** Receives until the queue has nothing visible left, holding each message so none is read twice. */
async function holdAll(queue: DeadLetterQueue, limit: number): Promise<HeldMessage[]> {
  const held = new Map<string, HeldMessage>();
  while (held.size < limit) {
    const batch = await queue.receive(HOLD_SECONDS);
    const fresh = batch.filter((m) => !held.has(m.messageId));
    for (const m of fresh) held.set(m.messageId, m);
    if (fresh.length === 0) break;
  }
  return [...held.values()].sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime());
}

async function releaseAll(queue: DeadLetterQueue, messages: readonly HeldMessage[]): Promise<void> {
  await Promise.all(messages.map((m) => queue.release(m).catch(() => undefined)));
}

async function viewOf(queue: DeadLetterQueue, message: HeldMessage): Promise<DeadLetterView> {
  const letter = letterOf(message);
  return {
    queue: queue.name,
    messageId: message.messageId,
    letter,
    subject: subjectOf(letter),
    reason: reasonOf(letter),
    sentAt: message.sentAt,
    expiresAt: new Date(message.sentAt.getTime() + (await queue.retentionSeconds()) * 1000),
    receiveCount: message.receiveCount,
  };
}
