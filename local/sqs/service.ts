import { mkdirSync } from 'node:fs';
import { type AwsJsonService, unknownOperation } from '../edge/aws-json';
import type { MessageAttributes } from './attributes';
import { type QueueSpec, resolveQueues } from './config';
import { queueDoesNotExist } from './errors';
import type { MessageState } from './message';
import { type Input, requiredString } from './params';
import { LocalQueue } from './queue';
import { getQueueAttributes } from './queue-attributes';
import { listQueues } from './queue-list';
import { queueAddress } from './queue-url';
import { receiveMessage } from './receive';
import { sendMessage, sendMessageBatch } from './send';
import { changeMessageVisibility, changeMessageVisibilityBatch, deleteMessage, deleteMessageBatch } from './settle';

export interface SqsOptions {
  readonly queues: readonly QueueSpec[];
  /** This service's own folder: one journal per queue, kept across restarts. */
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  /** The edge URL queue URLs are built on, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  /** @default Date.now — tests move time instead of sleeping through visibility timeouts */
  readonly now?: () => number;
}

/** A message as local mode shows it (CLI, demo), without going through the API. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: MessageAttributes;
  readonly sentAt: Date;
  readonly receiveCount: number;
  readonly state: MessageState;
  readonly groupId?: string;
  /** The queue a dead-lettered message came from. */
  readonly deadLetterSourceArn?: string;
}

type Operation = (input: Input) => unknown;

/**
 * SQS for local mode, on the edge's JSON protocol, for the SDK's SQSClient and the AWS CLI.
 * Queues are those of the template, fixed at start (no CreateQueue); every accepted message is
 * journaled under `dataDir` before the answer, so it survives a crash of the process.
 * @throws SqsConfigError when a spec describes a queue SQS would not create.
 * @throws SqsJournalError when a journal is damaged other than by a torn last line.
 */
export class SqsService implements AwsJsonService {
  readonly name = 'SQS';
  readonly targetPrefix = 'AmazonSQS';
  readonly signingName = 'sqs';
  readonly errorNamespace = 'com.amazonaws.sqs';
  private readonly queues = new Map<string, LocalQueue>();
  private readonly now: () => number;
  private readonly operations: Readonly<Record<string, Operation>>;

  constructor(private readonly options: SqsOptions) {
    this.now = options.now ?? Date.now;
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    try {
      for (const settings of resolveQueues(options.queues, options)) {
        this.queues.set(settings.name, LocalQueue.open(settings, options.dataDir, this.now()));
      }
    } catch (error) {
      this.close();
      throw error;
    }
    for (const spec of options.queues) this.linkDeadLetter(spec);
    this.operations = this.bindOperations();
  }

  handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (run === undefined) return Promise.reject(unknownOperation(this, operation));
    return Promise.resolve().then(() => run(input));
  }

  /** The URL the API knows a queue by. */
  queueUrl(queueName: string): string {
    return this.queue(queueName).settings.url;
  }

  /** Every message a queue holds, in send order, with where it is in its visibility cycle. */
  messages(queueName: string): QueueMessage[] {
    return this.queue(queueName)
      .list(this.now())
      .map(({ message, state }) => ({
        messageId: message.id,
        body: message.body,
        attributes: message.attributes,
        sentAt: new Date(message.sentAt),
        receiveCount: message.receiveCount,
        state,
        groupId: message.groupId,
        deadLetterSourceArn: message.sourceArn,
      }));
  }

  /** Ends pending long polls (they answer with no messages) and closes the journals. */
  close(): void {
    for (const queue of this.queues.values()) queue.close();
  }

  private linkDeadLetter(spec: QueueSpec): void {
    if (spec.deadLetter === undefined) return;
    this.queue(spec.name).setDeadLetter(this.queue(spec.deadLetter.targetName), spec.deadLetter.maxReceiveCount);
  }

  private bindOperations(): Record<string, Operation> {
    const on = (op: (queue: LocalQueue, input: Input, now: number) => unknown) => (input: Input) =>
      op(this.queueOf(input), input, this.now());
    return {
      SendMessage: on(sendMessage),
      SendMessageBatch: on(sendMessageBatch),
      ReceiveMessage: (input) => receiveMessage(this.queueOf(input), input, this.now, this.options.accountId),
      DeleteMessage: on(deleteMessage),
      DeleteMessageBatch: on(deleteMessageBatch),
      ChangeMessageVisibility: on(changeMessageVisibility),
      ChangeMessageVisibilityBatch: on(changeMessageVisibilityBatch),
      GetQueueAttributes: on(getQueueAttributes),
      GetQueueUrl: (input) => this.getQueueUrl(input),
      ListQueues: (input) =>
        listQueues(
          [...this.queues.values()].map((q) => q.settings),
          input,
        ),
      PurgeQueue: on((queue, _input, now) => {
        queue.purge(now);
        return {};
      }),
    };
  }

  private getQueueUrl(input: Input): { QueueUrl: string } {
    const name = requiredString(input, 'QueueName');
    const owner = input.QueueOwnerAWSAccountId;
    if (owner !== undefined && owner !== this.options.accountId) throw queueDoesNotExist(name);
    return { QueueUrl: this.queue(name).settings.url };
  }

  /** The queue a request's QueueUrl names (`queueAddress`: the one reading local IAM authorizes too). */
  private queueOf(input: Input): LocalQueue {
    const address = queueAddress(requiredString(input, 'QueueUrl'));
    if (address === undefined || address.account !== this.options.accountId) throw queueDoesNotExist();
    return this.queue(address.name);
  }

  private queue(name: string): LocalQueue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw queueDoesNotExist(name);
    return queue;
  }
}
