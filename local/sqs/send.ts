import { messageSize, parseMessageAttributes } from './attributes';
import { type BatchResult, runBatch } from './batch';
import { invalidParameter, missingParameter, SqsError } from './errors';
import { md5OfAttributes, md5OfBody } from './md5';
import { type Input, objectList, optionalInt, optionalString, requiredString } from './params';
import type { LocalQueue, MessageDraft, QueueSettings } from './queue';

/** SQS's limit on a message (body and attributes), raised from 256 KiB to 1 MiB in 2025. */
export const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_DELAY_SECONDS = 900;
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_FOR_THIS_QUEUE = 'The request include parameter that is not valid for this queue type.';

/** The SendMessage (or batch entry) answer, digests included so the SDK's checks pass. */
export interface SendResult {
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
  readonly MD5OfMessageAttributes?: string;
  readonly MD5OfMessageSystemAttributes?: string;
  readonly SequenceNumber?: string;
}

/** Validates one SendMessage request (or batch entry) against the queue and sends it. */
export function sendMessage(queue: LocalQueue, input: Input, now: number): SendResult {
  const draft = parseDraft(input, queue.settings);
  const sent = queue.send(draft, now);
  const traceHeader = draft.traceHeader;
  return {
    MessageId: sent.id,
    MD5OfMessageBody: md5OfBody(draft.body),
    MD5OfMessageAttributes: md5OfAttributes(draft.attributes),
    MD5OfMessageSystemAttributes:
      traceHeader === undefined
        ? undefined
        : md5OfAttributes({ AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } }),
    SequenceNumber: sent.sequenceNumber,
  };
}

/**
 * SendMessageBatch: each entry sent or failed on its own, after the request-level checks. The
 * batch size SQS limits is the sum of bodies and attributes; it is measured here on their JSON.
 */
export function sendMessageBatch(queue: LocalQueue, input: Input, now: number): BatchResult<SendResult> {
  const size = objectList(input, 'Entries').reduce(
    (total, entry) =>
      total +
      Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '') +
      Buffer.byteLength(JSON.stringify(entry.MessageAttributes ?? {})),
    0,
  );
  if (size > MAX_MESSAGE_BYTES) {
    throw new SqsError(
      'BatchRequestTooLong',
      `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${size} bytes.`,
    );
  }
  return runBatch(input, 'SendMessageBatchRequestEntry', (entry) => sendMessage(queue, entry, now));
}

function parseDraft(input: Input, queue: QueueSettings): MessageDraft {
  const body = requiredString(input, 'MessageBody');
  checkCharacters(body);
  const attributes = parseMessageAttributes(input.MessageAttributes);
  if (messageSize(body, attributes) > MAX_MESSAGE_BYTES) {
    throw new SqsError(
      'InvalidParameterValue',
      `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
    );
  }
  return {
    body,
    attributes,
    traceHeader: traceHeaderOf(input.MessageSystemAttributes),
    delaySeconds: delayOf(input, queue),
    ...ordering(input, queue),
  };
}

function checkCharacters(body: string): void {
  const bad = INVALID_CHARACTER.exec(body)?.[0];
  if (bad === undefined) return;
  const code = (bad.codePointAt(0) ?? 0).toString(16).toUpperCase();
  throw new SqsError(
    'InvalidMessageContents',
    `Invalid binary character '#x${code}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
  );
}

function delayOf(input: Input, queue: QueueSettings): number {
  const delay = optionalInt(input, 'DelaySeconds', 0, MAX_DELAY_SECONDS);
  if (delay !== undefined && delay > 0 && queue.fifo) throw invalidParameter('DelaySeconds', delay, NOT_FOR_THIS_QUEUE);
  return delay ?? 0;
}

/** MessageGroupId and MessageDeduplicationId: required (or content-based) on FIFO queues. */
function ordering(input: Input, queue: QueueSettings): Pick<MessageDraft, 'groupId' | 'dedupId'> {
  const groupId = optionalString(input, 'MessageGroupId');
  const dedupId = optionalString(input, 'MessageDeduplicationId');
  if (!queue.fifo) {
    if (dedupId !== undefined) throw invalidParameter('MessageDeduplicationId', dedupId, NOT_FOR_THIS_QUEUE);
    return { groupId };
  }
  if (groupId === undefined) throw missingParameter('MessageGroupId');
  if (dedupId === undefined && !queue.contentBasedDeduplication) {
    throw new SqsError(
      'InvalidParameterValue',
      'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
    );
  }
  return { groupId, dedupId };
}

/** `MessageSystemAttributes`: SQS accepts only `AWSTraceHeader`, a String. */
function traceHeaderOf(input: unknown): string | undefined {
  if (input === undefined || input === null) return undefined;
  const entries = typeof input === 'object' ? Object.entries(input) : [['', input]];
  if (entries.length === 0) return undefined;
  const [name, value] = entries[0] ?? [];
  const { DataType, StringValue } = (value ?? {}) as Record<string, unknown>;
  if (entries.length !== 1 || name !== 'AWSTraceHeader' || DataType !== 'String' || typeof StringValue !== 'string') {
    throw invalidParameter('MessageSystemAttributes', name ?? '', 'Only AWSTraceHeader, of type String, is supported.');
  }
  return StringValue;
}
