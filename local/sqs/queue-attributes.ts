import { SqsError } from './errors';
import { type Input, stringList } from './params';
import type { LocalQueue } from './queue';
import { MAX_MESSAGE_BYTES } from './send';

type Reader = (queue: LocalQueue, now: number) => string | undefined;

const seconds = (ms: number) => String(Math.floor(ms / 1000));

/**
 * The queue attributes GetQueueAttributes knows, each read from the queue now. Attributes SQS
 * knows but local queues do not have (Policy, KMS, redrive allow policy) are valid names that
 * return nothing, as they do on a queue without them.
 */
const READERS: Readonly<Record<string, Reader>> = {
  ApproximateNumberOfMessages: (q, now) => String(q.counts(now).visible),
  ApproximateNumberOfMessagesNotVisible: (q, now) => String(q.counts(now).inflight),
  ApproximateNumberOfMessagesDelayed: (q, now) => String(q.counts(now).delayed),
  CreatedTimestamp: (q) => seconds(q.createdAt),
  LastModifiedTimestamp: (q) => seconds(q.createdAt),
  DelaySeconds: () => '0',
  MaximumMessageSize: () => String(MAX_MESSAGE_BYTES),
  MessageRetentionPeriod: (q) => String(q.settings.messageRetentionSeconds),
  QueueArn: (q) => q.settings.arn,
  ReceiveMessageWaitTimeSeconds: () => '0',
  VisibilityTimeout: (q) => String(q.settings.visibilityTimeoutSeconds),
  RedrivePolicy: (q) => {
    const redrive = q.redrive;
    return (
      redrive && JSON.stringify({ deadLetterTargetArn: redrive.targetArn, maxReceiveCount: redrive.maxReceiveCount })
    );
  },
  FifoQueue: (q) => (q.settings.fifo ? 'true' : undefined),
  ContentBasedDeduplication: (q) => (q.settings.fifo ? String(q.settings.contentBasedDeduplication) : undefined),
  DeduplicationScope: (q) => (q.settings.fifo ? 'queue' : undefined),
  FifoThroughputLimit: (q) => (q.settings.fifo ? 'perQueue' : undefined),
  Policy: () => undefined,
  RedriveAllowPolicy: () => undefined,
  KmsMasterKeyId: () => undefined,
  KmsDataKeyReusePeriodSeconds: () => undefined,
  SqsManagedSseEnabled: () => undefined,
};

/** GetQueueAttributes: the named attributes (or `All`) as strings; an unknown name is InvalidAttributeName. */
export function getQueueAttributes(
  queue: LocalQueue,
  input: Input,
  now: number,
): { Attributes?: Record<string, string> } {
  const requested = stringList(input, 'AttributeNames');
  const unknown = requested.find((name) => name !== 'All' && !Object.hasOwn(READERS, name));
  if (unknown !== undefined)
    throw new SqsError('InvalidAttributeName', `Unknown Attribute ${unknown}.`, queue.settings.name);
  const names = requested.includes('All') ? Object.keys(READERS) : requested;
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = READERS[name]?.(queue, now);
    if (value !== undefined) attributes[name] = value;
  }
  return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
}
