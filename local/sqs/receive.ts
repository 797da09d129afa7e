import { type MessageAttributes, selectAttributes } from './attributes';
import { SqsError } from './errors';
import { type AttributeValue, md5OfAttributes, md5OfBody } from './md5';
import type { LiveMessage } from './message';
import { type Input, optionalInt, stringList } from './params';
import type { LocalQueue } from './queue';
import { encodeReceipt } from './receipt';

const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;

const SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;
type SystemAttributeName = (typeof SYSTEM_ATTRIBUTE_NAMES)[number];

/** Message system attributes ReceiveMessage can return, by the names its callers ask for. */
const SYSTEM_ATTRIBUTES: Readonly<
  Record<SystemAttributeName, (message: LiveMessage, senderId: string) => string | undefined>
> = {
  SenderId: (_m, senderId) => senderId,
  SentTimestamp: (m) => String(m.sentAt),
  ApproximateReceiveCount: (m) => String(m.receiveCount),
  ApproximateFirstReceiveTimestamp: (m) => (m.firstReceiveAt === undefined ? undefined : String(m.firstReceiveAt)),
  SequenceNumber: (m) => m.sequenceNumber,
  MessageDeduplicationId: (m) => m.dedupId,
  MessageGroupId: (m) => m.groupId,
  AWSTraceHeader: (m) => m.traceHeader,
  DeadLetterQueueSourceArn: (m) => m.sourceArn,
};

/** A message as ReceiveMessage returns it. */
export interface ReceivedMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MD5OfBody: string;
  readonly Body: string;
  readonly Attributes?: Readonly<Record<string, string>>;
  readonly MD5OfMessageAttributes?: string;
  readonly MessageAttributes?: Readonly<Record<string, AttributeValue>>;
}

interface ReceiveRequest {
  readonly max: number;
  readonly visibilityMs: number;
  readonly waitMs: number;
  readonly systemNames: readonly SystemAttributeName[];
  readonly attributeNames: readonly string[];
}

/**
 * ReceiveMessage, long polling included: with WaitTimeSeconds it parks until a message can be
 * returned (a send, a visibility timeout running out) or the wait ends, whichever comes first.
 */
export async function receiveMessage(
  queue: LocalQueue,
  input: Input,
  now: () => number,
  senderId: string,
): Promise<{ Messages?: ReceivedMessage[] }> {
  const request = parseRequest(input, queue);
  const deadline = now() + request.waitMs;
  for (;;) {
    const taken = queue.receive(request.max, request.visibilityMs, now());
    if (taken.length > 0) return { Messages: taken.map((t) => present(queue, t, request, senderId)) };
    const current = now();
    if (current >= deadline || queue.waiters.closed) return {};
    await queue.waiters.wait(Math.min(deadline, queue.nextVisibleAt(current) ?? deadline) - current);
  }
}

function parseRequest(input: Input, queue: LocalQueue): ReceiveRequest {
  const visibility = optionalInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
  return {
    max: optionalInt(input, 'MaxNumberOfMessages', 1, 10) ?? 1,
    visibilityMs: (visibility ?? queue.settings.visibilityTimeoutSeconds) * 1000,
    waitMs: (optionalInt(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ?? 0) * 1000,
    systemNames: systemNames([
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ]),
    attributeNames: stringList(input, 'MessageAttributeNames'),
  };
}

function systemNames(requested: readonly string[]): readonly SystemAttributeName[] {
  if (requested.includes('All')) return SYSTEM_ATTRIBUTE_NAMES;
  const unknown = requested.find((name) => !SYSTEM_ATTRIBUTE_NAMES.some((known) => known === name));
  if (unknown !== undefined) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${unknown}.`);
  return SYSTEM_ATTRIBUTE_NAMES.filter((name) => requested.includes(name));
}

function present(
  queue: LocalQueue,
  { message, nonce }: { message: LiveMessage; nonce: string },
  request: ReceiveRequest,
  senderId: string,
): ReceivedMessage {
  const attributes: MessageAttributes = selectAttributes(message.attributes, request.attributeNames);
  const hasAttributes = Object.keys(attributes).length > 0;
  const system = systemAttributes(message, request.systemNames, senderId);
  return {
    MessageId: message.id,
    ReceiptHandle: encodeReceipt({ queueName: queue.settings.name, messageId: message.id, nonce }),
    MD5OfBody: md5OfBody(message.body),
    Body: message.body,
    Attributes: Object.keys(system).length > 0 ? system : undefined,
    MD5OfMessageAttributes: md5OfAttributes(attributes),
    MessageAttributes: hasAttributes ? attributes : undefined,
  };
}

function systemAttributes(
  message: LiveMessage,
  names: readonly SystemAttributeName[],
  senderId: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = SYSTEM_ATTRIBUTES[name](message, senderId);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
