import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The two dead-letter queues Gantry keeps. */
export const DEAD_LETTER_QUEUES = ['webhooks', 'triggers'] as const;
export type DeadLetterQueueName = (typeof DEAD_LETTER_QUEUES)[number];

/** A message received from a dead-letter queue, held invisible to others until deleted or released. */
export interface HeldMessage {
  readonly queue: DeadLetterQueueName;
  readonly messageId: string;
  readonly receipt: string;
  readonly body: string;
  /** String message attributes (EventBridge puts RULE_ARN, TARGET_ARN, ERROR_CODE… here). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly sentAt: Date;
  readonly receiveCount: number;
}

/** Port: one dead-letter queue, read without losing anything. */
export interface DeadLetterQueue {
  readonly name: DeadLetterQueueName;
  /** The queue's ARN: an EventBridge target names its dead-letter queue by it. */
  arn(): Promise<string>;
  /** How long the queue keeps a message before dropping it, silently. */
  retentionSeconds(): Promise<number>;
  /** Up to 10 messages, each hidden from other readers for `holdSeconds`. */
  receive(holdSeconds: number): Promise<HeldMessage[]>;
  /** Removes a message that was handled. */
  delete(message: HeldMessage): Promise<void>;
  /** Makes a message visible again at once: it stays in the queue. */
  release(message: HeldMessage): Promise<void>;
}

/** A dead-letter queue in SQS (or local mode's SQS on the edge endpoint). */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  private attributes: Promise<Record<string, string>> | undefined;

  constructor(
    private readonly client: SQSClient,
    readonly name: DeadLetterQueueName,
    readonly url: string,
  ) {}

  async arn(): Promise<string> {
    return (await this.queueAttributes()).QueueArn ?? '';
  }

  async retentionSeconds(): Promise<number> {
    return Number((await this.queueAttributes()).MessageRetentionPeriod ?? 345_600);
  }

  async receive(holdSeconds: number): Promise<HeldMessage[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: holdSeconds,
        // Long polling asks every SQS server, so a small queue is not missed by short polling's sample.
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        MessageAttributeNames: ['All'],
      }),
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.MessageId === undefined || m.ReceiptHandle === undefined
        ? []
        : [
            {
              queue: this.name,
              messageId: m.MessageId,
              receipt: m.ReceiptHandle,
              body: m.Body ?? '',
              attributes: Object.fromEntries(
                Object.entries(m.MessageAttributes ?? {}).flatMap(([name, value]) =>
                  value.StringValue === undefined ? [] : [[name, value.StringValue]],
                ),
              ),
              sentAt: new Date(Number(m.Attributes?.SentTimestamp ?? Date.now())),
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
            },
          ],
    );
  }

  async delete(message: HeldMessage): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: message.receipt }));
  }

  async release(message: HeldMessage): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: message.receipt, VisibilityTimeout: 0 }),
    );
  }

  private queueAttributes(): Promise<Record<string, string>> {
    this.attributes ??= this.client
      .send(
        new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: ['QueueArn', 'MessageRetentionPeriod'] }),
      )
      .then((out) => out.Attributes ?? {});
    return this.attributes;
  }
}
