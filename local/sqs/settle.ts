import { runBatch } from './batch';
import { missingParameter } from './errors';
import { type Input, optionalInt, requiredString } from './params';
import type { LocalQueue } from './queue';
import { decodeReceipt } from './receipt';

const MAX_VISIBILITY_SECONDS = 43_200;

/** DeleteMessage: a stale handle still deletes, and a message already gone is no error, as in SQS. */
export function deleteMessage(queue: LocalQueue, input: Input): Record<string, never> {
  const receipt = decodeReceipt(requiredString(input, 'ReceiptHandle'), queue.settings.name);
  queue.delete(receipt.messageId);
  return {};
}

export function deleteMessageBatch(queue: LocalQueue, input: Input) {
  return runBatch(input, 'DeleteMessageBatchRequestEntry', (entry) => deleteMessage(queue, entry));
}

/** ChangeMessageVisibility: only with the latest handle of a message in flight; 0 makes it visible now. */
export function changeMessageVisibility(queue: LocalQueue, input: Input, now: number): Record<string, never> {
  const handle = requiredString(input, 'ReceiptHandle');
  const timeout = optionalInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
  if (timeout === undefined) throw missingParameter('VisibilityTimeout');
  const receipt = decodeReceipt(handle, queue.settings.name);
  queue.changeVisibility(receipt.messageId, receipt.nonce, handle, timeout * 1000, now);
  return {};
}

export function changeMessageVisibilityBatch(queue: LocalQueue, input: Input, now: number) {
  return runBatch(input, 'ChangeMessageVisibilityBatchRequestEntry', (entry) =>
    changeMessageVisibility(queue, entry, now),
  );
}
