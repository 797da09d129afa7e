import { SqsError } from './errors';

/** What a receipt handle names: one receive of one message of one queue. */
export interface Receipt {
  readonly queueName: string;
  readonly messageId: string;
  readonly nonce: string;
}

const PARTS = /^([A-Za-z0-9_.-]{1,80}) ([0-9a-f-]{36}) ([0-9a-f]{16})$/;

/** An opaque handle, as SQS gives: it changes with every receive of the same message. */
export function encodeReceipt(receipt: Receipt): string {
  return Buffer.from(`${receipt.queueName} ${receipt.messageId} ${receipt.nonce}`, 'utf8').toString('base64url');
}

/** Reads a handle this emulator issued for `queueName`; anything else is ReceiptHandleIsInvalid, as in SQS. */
export function decodeReceipt(handle: string, queueName: string): Receipt {
  const match = PARTS.exec(Buffer.from(handle, 'base64url').toString('utf8'));
  const [, queue, messageId, nonce] = match ?? [];
  if (queue !== queueName || messageId === undefined || nonce === undefined) {
    throw new SqsError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
      queueName,
    );
  }
  return { queueName: queue, messageId, nonce };
}
