import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  ListQueuesCommand,
  type Message,
  MessageNotInflight,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import type { RunningEdge } from '../../../local/edge/server';
import { startEdge } from '../../../local/edge/server';
import { md5OfAttributes, type QueueSpec, SqsConfigError, SqsJournalError, SqsService } from '../../../local/sqs';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const QUEUES: QueueSpec[] = [
  { name: 'work', fifo: false, visibilityTimeoutSeconds: 30, messageRetentionSeconds: 345_600 },
  {
    name: 'jobs',
    fifo: false,
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 345_600,
    deadLetter: { targetName: 'jobs-dlq', maxReceiveCount: 2 },
  },
  { name: 'jobs-dlq', fifo: false, visibilityTimeoutSeconds: 30, messageRetentionSeconds: 1_209_600 },
  { name: 'ordered.fifo', fifo: true, visibilityTimeoutSeconds: 30, messageRetentionSeconds: 345_600 },
  {
    name: 'content.fifo',
    fifo: true,
    contentBasedDeduplication: true,
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 345_600,
  },
];

/** Digests moto's SQS tests pin as what AWS returns for the same attribute. */
const TIMESTAMP_ATTRIBUTE = { timestamp: { DataType: 'Number', StringValue: '1493147359900' } };
const TIMESTAMP_MD5 = '235c5c510d26fb653d073faed50ae77c';
/** Several types, a binary value, a non-ASCII value, names out of order. */
const MIXED_ATTRIBUTES = {
  ccc: { StringValue: 'testjunk', DataType: 'String' },
  aaa: { BinaryValue: Uint8Array.of(2, 3, 4), DataType: 'Binary' },
  zzz: { DataType: 'Number', StringValue: '0230.01' },
  other_encodings: { DataType: 'String.label', StringValue: 'Tüst' },
};

/** A free loopback port: queue URLs name the edge, so the port is needed before the edge starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface Harness {
  readonly sqs: SqsService;
  readonly client: SQSClient;
  readonly edge: RunningEdge;
  readonly url: (name: string) => string;
  /** Moves the service's clock forward: visibility timeouts and delays pass without sleeping. */
  readonly advance: (seconds: number) => void;
  readonly restart: () => Promise<Harness>;
  readonly close: () => Promise<void>;
}

async function start(dataDir: string, queues: QueueSpec[] = QUEUES): Promise<Harness> {
  let offset = 0;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const sqs = new SqsService({
    queues,
    dataDir,
    region: REGION,
    accountId: ACCOUNT,
    endpoint,
    now: () => Date.now() + offset,
  });
  const edge = await startEdge({ port, services: [sqs] });
  const client = new SQSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
  const close = async () => {
    client.destroy();
    sqs.close();
    await edge.close();
  };
  return {
    sqs,
    client,
    edge,
    url: (name) => `${endpoint}/${ACCOUNT}/${name}`,
    advance: (seconds) => {
      offset += seconds * 1000;
    },
    restart: async () => {
      await close();
      return start(dataDir, queues);
    },
    close,
  };
}

describe('md5OfAttributes', () => {
  it('digests attributes in order of name, binary values included, as moto does for AWS', () => {
    const attributes = {
      ccc: { StringValue: 'testjunk', DataType: 'String' },
      aaa: { BinaryValue: Buffer.from([2, 3, 4]).toString('base64'), DataType: 'Binary' },
      zzz: { DataType: 'Number', StringValue: '0230.01' },
      öther_encodings: { DataType: 'String', StringValue: 'Tüst' },
    };
    expect(md5OfAttributes(attributes)).toBe('8ae21a7957029ef04146b42aeaa18a22');
    expect(md5OfAttributes({ 'SOME_Valid.attribute-Name': TIMESTAMP_ATTRIBUTE.timestamp })).toBe(
      '36655e7e9d7c0e8479fa3f3f42247ae7',
    );
  });

  it('gives no digest for no attributes, as SQS leaves the field out', () => {
    expect(md5OfAttributes({})).toBeUndefined();
  });
});

describe('local SQS', () => {
  let dataDir: string;
  let h: Harness;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-sqs-'));
    h = await start(dataDir);
  });

  afterEach(async () => {
    await h.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = (input: Omit<SendMessageCommandInput, 'QueueUrl'>, queue = 'work') =>
    h.client.send(new SendMessageCommand({ QueueUrl: h.url(queue), ...input }));
  const receive = async (input: Omit<ReceiveMessageCommandInput, 'QueueUrl'> = {}, queue = 'work') =>
    (await h.client.send(new ReceiveMessageCommand({ QueueUrl: h.url(queue), ...input }))).Messages ?? [];
  const counts = async (queue = 'work') => {
    const out = await h.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: h.url(queue),
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages),
      inflight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(out.Attributes?.ApproximateNumberOfMessagesDelayed),
    };
  };
  const handleOf = (message: Message | undefined) => message?.ReceiptHandle ?? '';

  describe('SendMessage and ReceiveMessage', () => {
    it('answers with the body and attribute digests AWS gives for the same message', async () => {
      const sent = await send({ MessageBody: 'derp', MessageAttributes: TIMESTAMP_ATTRIBUTE });
      expect(sent.MD5OfMessageBody).toBe('58fd9edd83341c29f1aebba81c31e257');
      expect(sent.MD5OfMessageAttributes).toBe(TIMESTAMP_MD5);
    });

    it('digests the trace header into MD5OfMessageSystemAttributes', async () => {
      const sent = await send({
        MessageBody: 'traced',
        MessageSystemAttributes: {
          AWSTraceHeader: {
            DataType: 'String',
            StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
          },
        },
      });
      expect(sent.MD5OfMessageSystemAttributes).toBe('5ae4d5d7636402d80f4eb6d213245a88');
      const [message] = await receive({ MessageSystemAttributeNames: ['AWSTraceHeader'] });
      expect(message?.Attributes?.AWSTraceHeader).toMatch(/^Root=1-5759e988/);
    });

    it('returns the message with its attributes, digests and system attributes', async () => {
      const body = 'Héllo!😀 {"json": true}';
      const sent = await send({ MessageBody: body, MessageAttributes: MIXED_ATTRIBUTES });
      const [message] = await receive({ MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: body,
        MD5OfBody: createHash('md5').update(body).digest('hex'),
        MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      });
      expect(message?.MessageAttributes?.aaa?.BinaryValue).toEqual(Uint8Array.of(2, 3, 4));
      expect(message?.MessageAttributes?.other_encodings).toEqual({ DataType: 'String.label', StringValue: 'Tüst' });
      expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: ACCOUNT });
      expect(Math.abs(Number(message?.Attributes?.SentTimestamp) - Date.now())).toBeLessThan(5_000);
    });

    it('returns only the attributes asked for, with the digest of those', async () => {
      await send({
        MessageBody: 'b',
        MessageAttributes: { ...TIMESTAMP_ATTRIBUTE, 'trace.id': { DataType: 'String', StringValue: 'x' } },
      });
      const [message] = await receive({
        MessageAttributeNames: ['timestamp'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      });
      expect(Object.keys(message?.MessageAttributes ?? {})).toEqual(['timestamp']);
      expect(message?.MD5OfMessageAttributes).toBe(TIMESTAMP_MD5);
      expect(Object.keys(message?.Attributes ?? {})).toEqual(['SentTimestamp']);
    });

    it('returns nothing at once from an empty queue without WaitTimeSeconds', async () => {
      await expect(receive()).resolves.toEqual([]);
    });

    it('gives up to MaxNumberOfMessages, oldest first', async () => {
      for (const n of [1, 2, 3]) await send({ MessageBody: `m${n}` });
      expect((await receive({ MaxNumberOfMessages: 2 })).map((m) => m.Body)).toEqual(['m1', 'm2']);
      expect((await receive({ MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['m3']);
    });

    it('holds a delayed message back until its DelaySeconds pass', async () => {
      await send({ MessageBody: 'later', DelaySeconds: 5 });
      await expect(receive()).resolves.toEqual([]);
      expect(await counts()).toEqual({ visible: 0, inflight: 0, delayed: 1 });
      h.advance(5);
      expect((await receive()).map((m) => m.Body)).toEqual(['later']);
    });

    it.each([
      ['a control character in the body', { MessageBody: 'a\u0000b' }, 'InvalidMessageContents'],
      ['an empty body', { MessageBody: '' }, 'MissingParameter'],
      ['a delay over 900 s', { MessageBody: 'b', DelaySeconds: 901 }, 'InvalidParameterValue'],
      [
        'a deduplication id on a standard queue',
        { MessageBody: 'b', MessageDeduplicationId: 'd' },
        'InvalidParameterValue',
      ],
      [
        'an attribute without a value',
        { MessageBody: 'b', MessageAttributes: { a: { DataType: 'String' } } },
        'InvalidParameterValue',
      ],
      [
        'a reserved attribute name',
        { MessageBody: 'b', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } },
        'InvalidParameterValue',
      ],
      [
        'a Number attribute that is not a number',
        { MessageBody: 'b', MessageAttributes: { n: { DataType: 'Number', StringValue: 'ten' } } },
        'InvalidParameterValue',
      ],
      ['a body over 1 MiB', { MessageBody: 'x'.repeat(1_048_577) }, 'InvalidParameterValue'],
    ] satisfies [string, Omit<SendMessageCommandInput, 'QueueUrl'>, string][])('refuses %s', async (_, input, code) => {
      await expect(send(input)).rejects.toMatchObject({ name: code });
      expect(await counts()).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    });

    it('refuses receive parameters out of range', async () => {
      await expect(receive({ MaxNumberOfMessages: 11 })).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message:
          'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
      });
      await expect(receive({ WaitTimeSeconds: 21 })).rejects.toBeInstanceOf(SQSServiceException);
      await expect(receive({ AttributeNames: ['Nope' as 'All'] })).rejects.toBeInstanceOf(InvalidAttributeName);
    });
  });

  describe('SendMessageBatch', () => {
    it('sends each entry on its own and reports the ones SQS would refuse', async () => {
      const out = await h.client.send(
        new SendMessageBatchCommand({
          QueueUrl: h.url('work'),
          Entries: [
            { Id: 'a', MessageBody: 'one', MessageAttributes: TIMESTAMP_ATTRIBUTE },
            { Id: 'b', MessageBody: 'two', MessageAttributes: { bad: { DataType: 'Weird', StringValue: 'x' } } },
            { Id: 'c', MessageBody: 'three' },
          ],
        }),
      );
      expect(out.Successful?.map((s) => [s.Id, s.MD5OfMessageAttributes])).toEqual([
        ['a', TIMESTAMP_MD5],
        ['c', undefined],
      ]);
      expect(out.Failed).toEqual([
        expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }),
      ]);
      expect((await receive({ MaxNumberOfMessages: 10 })).map((m) => m.Body)).toEqual(['one', 'three']);
    });

    it('refuses an empty batch and repeated entry ids as a whole', async () => {
      const batch = (Entries: { Id: string; MessageBody: string }[]) =>
        h.client.send(new SendMessageBatchCommand({ QueueUrl: h.url('work'), Entries }));
      await expect(batch([])).rejects.toBeInstanceOf(EmptyBatchRequest);
      await expect(
        batch([
          { Id: 'x', MessageBody: '1' },
          { Id: 'x', MessageBody: '2' },
        ]),
      ).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);
      expect((await counts()).visible).toBe(0);
    });
  });

  describe('visibility', () => {
    it('hides a received message for the visibility timeout, then delivers it again with a new handle', async () => {
      await send({ MessageBody: 'job' });
      const [first] = await receive({ MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
      expect(await counts()).toEqual({ visible: 0, inflight: 1, delayed: 0 });
      await expect(receive()).resolves.toEqual([]);
      h.advance(30);
      const [second] = await receive({ MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
      expect(second?.MessageId).toBe(first?.MessageId);
      expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
      expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    });

    it('uses the VisibilityTimeout of the receive over the queue default', async () => {
      await send({ MessageBody: 'job' });
      await receive({ VisibilityTimeout: 2 });
      h.advance(2);
      expect(await receive()).toHaveLength(1);
    });

    it('changes the visibility of a message in flight, and only with its latest handle', async () => {
      await send({ MessageBody: 'job' });
      const change = (handle: string, VisibilityTimeout: number) =>
        h.client.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: h.url('work'), ReceiptHandle: handle, VisibilityTimeout }),
        );
      const [first] = await receive({ VisibilityTimeout: 0 });
      await expect(change(handleOf(first), 10)).rejects.toBeInstanceOf(MessageNotInflight);
      const [second] = await receive();
      await expect(change(handleOf(first), 10)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      await change(handleOf(second), 0);
      expect(await receive()).toHaveLength(1);
    });

    it('deletes a message by receipt handle, also in a batch, and refuses a handle it never issued', async () => {
      for (const body of ['a', 'b', 'c']) await send({ MessageBody: body });
      const [a, b, c] = await receive({ MaxNumberOfMessages: 3 });
      await h.client.send(new DeleteMessageCommand({ QueueUrl: h.url('work'), ReceiptHandle: handleOf(a) }));
      const batch = await h.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: h.url('work'),
          Entries: [
            { Id: 'b', ReceiptHandle: handleOf(b) },
            { Id: 'c', ReceiptHandle: handleOf(c) },
            { Id: 'bogus', ReceiptHandle: 'not-a-handle' },
          ],
        }),
      );
      expect(batch.Successful?.map((s) => s.Id)).toEqual(['b', 'c']);
      expect(batch.Failed?.map((f) => [f.Id, f.Code])).toEqual([['bogus', 'ReceiptHandleIsInvalid']]);
      await expect(
        h.client.send(new DeleteMessageCommand({ QueueUrl: h.url('work'), ReceiptHandle: 'garbage' })),
      ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
      await expect(
        h.client.send(new DeleteMessageCommand({ QueueUrl: h.url('jobs-dlq'), ReceiptHandle: handleOf(a) })),
      ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
      h.advance(60);
      expect(await counts()).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    });
  });

  describe('long polling', () => {
    it('answers as soon as a message arrives, not at the end of the wait', async () => {
      const started = Date.now();
      const polling = receive({ WaitTimeSeconds: 10 });
      setTimeout(() => void send({ MessageBody: 'arrived' }), 50);
      expect((await polling).map((m) => m.Body)).toEqual(['arrived']);
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('wakes when a message in flight becomes visible again', async () => {
      await send({ MessageBody: 'retry me' });
      await receive({ VisibilityTimeout: 1 });
      const started = Date.now();
      expect((await receive({ WaitTimeSeconds: 5 })).map((m) => m.Body)).toEqual(['retry me']);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('ends pending polls with no messages when the service closes', async () => {
      const polling = receive({ WaitTimeSeconds: 20 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      h.sqs.close();
      await expect(polling).resolves.toEqual([]);
    });
  });

  describe('dead-letter queue', () => {
    it('moves a message received maxReceiveCount times to the dead-letter queue', async () => {
      const sent = await send({ MessageBody: 'poison', MessageAttributes: TIMESTAMP_ATTRIBUTE }, 'jobs');
      await receive({ VisibilityTimeout: 0 }, 'jobs');
      await receive({ VisibilityTimeout: 0 }, 'jobs');
      await expect(receive({}, 'jobs')).resolves.toEqual([]);
      expect(await counts('jobs')).toEqual({ visible: 0, inflight: 0, delayed: 0 });
      const [dead] = await receive({ MessageAttributeNames: ['All'], AttributeNames: ['All'] }, 'jobs-dlq');
      expect(dead).toMatchObject({ MessageId: sent.MessageId, Body: 'poison', MD5OfMessageAttributes: TIMESTAMP_MD5 });
      expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(`arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`);
      expect(h.sqs.messages('jobs-dlq')).toEqual([
        expect.objectContaining({ messageId: sent.MessageId, deadLetterSourceArn: expect.stringContaining(':jobs') }),
      ]);
    });
  });

  describe('FIFO queues', () => {
    const sendFifo = (MessageBody: string, MessageGroupId: string, MessageDeduplicationId?: string) =>
      send({ MessageBody, MessageGroupId, MessageDeduplicationId }, 'ordered.fifo');

    it('delivers each group in order and holds a group back while one of its messages is in flight', async () => {
      await sendFifo('a1', 'a', '1');
      await sendFifo('b1', 'b', '2');
      await sendFifo('a2', 'a', '3');
      const [a1] = await receive({ MaxNumberOfMessages: 1 }, 'ordered.fifo');
      expect(a1?.Body).toBe('a1');
      expect((await receive({ MaxNumberOfMessages: 10 }, 'ordered.fifo')).map((m) => m.Body)).toEqual(['b1']);
      await h.client.send(new DeleteMessageCommand({ QueueUrl: h.url('ordered.fifo'), ReceiptHandle: handleOf(a1) }));
      expect((await receive({}, 'ordered.fifo')).map((m) => m.Body)).toEqual(['a2']);
    });

    it('drops a resend with the same deduplication id, explicit or content-based', async () => {
      const first = await sendFifo('x', 'g', 'same');
      const again = await sendFifo('y', 'g', 'same');
      expect(again.MessageId).toBe(first.MessageId);
      expect(first.SequenceNumber).toMatch(/^\d{20}$/);
      await send({ MessageBody: 'body', MessageGroupId: 'g' }, 'content.fifo');
      await send({ MessageBody: 'body', MessageGroupId: 'g' }, 'content.fifo');
      expect(h.sqs.messages('ordered.fifo')).toHaveLength(1);
      expect(h.sqs.messages('content.fifo')).toHaveLength(1);
    });

    it('requires a group id, and a deduplication id without content-based deduplication', async () => {
      await expect(send({ MessageBody: 'x' }, 'ordered.fifo')).rejects.toMatchObject({ name: 'MissingParameter' });
      await expect(send({ MessageBody: 'x', MessageGroupId: 'g' }, 'ordered.fifo')).rejects.toMatchObject({
        name: 'InvalidParameterValue',
      });
      const delayed = { MessageBody: 'y', MessageGroupId: 'g', MessageDeduplicationId: 'e', DelaySeconds: 3 };
      await expect(send(delayed, 'ordered.fifo')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    });
  });

  describe('queues', () => {
    it('reports queue attributes, All included', async () => {
      const out = await h.client.send(
        new GetQueueAttributesCommand({ QueueUrl: h.url('jobs'), AttributeNames: ['All'] }),
      );
      expect(out.Attributes).toMatchObject({
        QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`,
        VisibilityTimeout: '30',
        MessageRetentionPeriod: '345600',
        ApproximateNumberOfMessages: '0',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs-dlq`,
          maxReceiveCount: 2,
        }),
      });
      expect(out.Attributes?.FifoQueue).toBeUndefined();
      await expect(
        h.client.send(new GetQueueAttributesCommand({ QueueUrl: h.url('work'), AttributeNames: ['Bogus' as 'All'] })),
      ).rejects.toBeInstanceOf(InvalidAttributeName);
    });

    it('finds queue URLs by name and lists them by prefix, a page at a time', async () => {
      await expect(h.client.send(new GetQueueUrlCommand({ QueueName: 'work' }))).resolves.toMatchObject({
        QueueUrl: h.url('work'),
      });
      await expect(h.client.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toBeInstanceOf(
        QueueDoesNotExist,
      );
      const all = await h.client.send(new ListQueuesCommand({}));
      expect(all.QueueUrls).toEqual(['content.fifo', 'jobs', 'jobs-dlq', 'ordered.fifo', 'work'].map(h.url));
      const page = await h.client.send(new ListQueuesCommand({ QueueNamePrefix: 'jobs', MaxResults: 1 }));
      expect(page.QueueUrls).toEqual([h.url('jobs')]);
      const next = await h.client.send(
        new ListQueuesCommand({ QueueNamePrefix: 'jobs', MaxResults: 1, NextToken: page.NextToken }),
      );
      expect(next.QueueUrls).toEqual([h.url('jobs-dlq')]);
      expect(next.NextToken).toBeUndefined();
    });

    it('refuses a queue URL that names no queue', async () => {
      await expect(send({ MessageBody: 'x' }, 'nope')).rejects.toBeInstanceOf(QueueDoesNotExist);
      await expect(
        h.client.send(new SendMessageCommand({ QueueUrl: `${h.edge.endpoint}/000000000000/work`, MessageBody: 'x' })),
      ).rejects.toBeInstanceOf(QueueDoesNotExist);
    });

    it.each([
      ['a fragment', '#/jobs'],
      ['a query', '?x=/jobs'],
      ['a path below it', '/jobs'],
    ])(
      'refuses a queue URL with %s after the queue, which local IAM could read as another queue',
      async (_what, tail) => {
        const QueueUrl = `${h.url('work')}${tail}`;
        await expect(h.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toBeInstanceOf(
          QueueDoesNotExist,
        );
      },
    );

    it('purges a queue at most once a minute', async () => {
      await send({ MessageBody: 'x' });
      await h.client.send(new PurgeQueueCommand({ QueueUrl: h.url('work') }));
      expect((await counts()).visible).toBe(0);
      await expect(h.client.send(new PurgeQueueCommand({ QueueUrl: h.url('work') }))).rejects.toBeInstanceOf(
        PurgeQueueInProgress,
      );
      h.advance(60);
      await h.client.send(new PurgeQueueCommand({ QueueUrl: h.url('work') }));
    });

    it('answers operations it does not emulate with UnknownOperationException', async () => {
      await expect(h.client.send(new CreateQueueCommand({ QueueName: 'new' }))).rejects.toMatchObject({
        name: 'UnknownOperationException',
      });
    });

    it('reaches a queue through its URL from a client without an endpoint, as the SDK routes by QueueUrl', async () => {
      const plain = new SQSClient({ region: REGION, credentials: CREDENTIALS, logger: { ...console, warn: () => {} } });
      try {
        await plain.send(new SendMessageCommand({ QueueUrl: h.url('work'), MessageBody: 'routed' }));
      } finally {
        plain.destroy();
      }
      expect(h.sqs.messages('work').map((m) => m.body)).toEqual(['routed']);
    });
  });

  describe('persistence', () => {
    it('keeps messages and receive counts across a restart; messages in flight become visible again', async () => {
      await send({ MessageBody: 'kept', MessageAttributes: TIMESTAMP_ATTRIBUTE });
      await send({ MessageBody: 'deleted' });
      const [, deleted] = await receive({ MaxNumberOfMessages: 2 });
      await h.client.send(new DeleteMessageCommand({ QueueUrl: h.url('work'), ReceiptHandle: handleOf(deleted) }));
      h = await h.restart();
      expect(h.sqs.messages('work')).toEqual([
        expect.objectContaining({ body: 'kept', receiveCount: 1, state: 'visible' }),
      ]);
      const [again] = await receive({
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      });
      expect(again).toMatchObject({ Body: 'kept', MD5OfMessageAttributes: TIMESTAMP_MD5 });
      expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    });

    it('compacts the journal at start to one line per message', async () => {
      for (const n of [1, 2, 3]) await send({ MessageBody: `m${n}` });
      const received = await receive({ MaxNumberOfMessages: 3 });
      for (const m of received.slice(0, 2)) {
        await h.client.send(new DeleteMessageCommand({ QueueUrl: h.url('work'), ReceiptHandle: handleOf(m) }));
      }
      h = await h.restart();
      const lines = readFileSync(join(dataDir, 'work.jsonl'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(h.sqs.messages('work').map((m) => m.body)).toEqual(['m3']);
    });

    it('starts after a crash that tore the last journal line, keeping every complete record', async () => {
      await send({ MessageBody: 'complete' });
      await h.close();
      appendFileSync(join(dataDir, 'work.jsonl'), '{"t":"send","m":{"id":"torn","bo');
      h = await start(dataDir);
      expect(h.sqs.messages('work').map((m) => m.body)).toEqual(['complete']);
      await send({ MessageBody: 'after' });
      h = await h.restart();
      expect(h.sqs.messages('work').map((m) => m.body)).toEqual(['complete', 'after']);
    });

    it('refuses a journal damaged in the middle rather than drop messages silently', async () => {
      await send({ MessageBody: 'x' });
      await h.close();
      const file = join(dataDir, 'work.jsonl');
      const journal = readFileSync(file, 'utf8');
      writeFileSync(file, `garbage\n${journal}`);
      expect(
        () => new SqsService({ queues: QUEUES, dataDir, region: REGION, accountId: ACCOUNT, endpoint: 'http://x' }),
      ).toThrow(SqsJournalError);
      writeFileSync(file, journal);
      h = await start(dataDir);
      expect(h.sqs.messages('work').map((m) => m.body)).toEqual(['x']);
    });

    it('keeps a message SendMessage acknowledged when the process is killed with SIGKILL', async () => {
      await h.close();
      const port = await freePort();
      const child = await startChild(dataDir, port);
      const client = new SQSClient({ region: REGION, endpoint: `http://127.0.0.1:${port}`, credentials: CREDENTIALS });
      try {
        for (const n of [1, 2, 3]) {
          await client.send(
            new SendMessageCommand({ QueueUrl: `http://127.0.0.1:${port}/${ACCOUNT}/work`, MessageBody: `m${n}` }),
          );
        }
        await client.send(new ReceiveMessageCommand({ QueueUrl: `http://127.0.0.1:${port}/${ACCOUNT}/work` }));
      } finally {
        client.destroy();
        child.kill('SIGKILL');
      }
      await new Promise((resolve) => child.once('exit', resolve));
      h = await start(dataDir);
      expect(h.sqs.messages('work').map((m) => [m.body, m.receiveCount, m.state])).toEqual([
        ['m1', 1, 'visible'],
        ['m2', 0, 'visible'],
        ['m3', 0, 'visible'],
      ]);
    });
  });

  describe('configuration', () => {
    const base = { fifo: false, visibilityTimeoutSeconds: 30, messageRetentionSeconds: 60 };
    it.each([
      [
        'a dead-letter queue that is not declared',
        [{ ...base, name: 'a', deadLetter: { targetName: 'b', maxReceiveCount: 3 } }],
      ],
      ['a FIFO queue without the .fifo suffix', [{ ...base, name: 'a', fifo: true }]],
      ['a standard queue with the .fifo suffix', [{ ...base, name: 'a.fifo' }]],
      ['a retention under a minute', [{ ...base, name: 'a', messageRetentionSeconds: 59 }]],
      [
        'a name declared twice',
        [
          { ...base, name: 'a' },
          { ...base, name: 'a' },
        ],
      ],
    ] satisfies [string, QueueSpec[]][])('refuses %s', (_, queues) => {
      expect(
        () => new SqsService({ queues, dataDir, region: REGION, accountId: ACCOUNT, endpoint: 'http://x' }),
      ).toThrow(SqsConfigError);
    });
  });
});

/** Runs the service in a child process (through tsx), resolving once its edge listens. */
async function startChild(dataDir: string, port: number) {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const script = `
    import { SqsService } from '${root}/local/sqs/index.ts';
    import { startEdge } from '${root}/local/edge/server.ts';
    const sqs = new SqsService(${JSON.stringify({ queues: QUEUES, dataDir, region: REGION, accountId: ACCOUNT, endpoint: `http://127.0.0.1:${port}` })});
    await startEdge({ port: ${port}, services: [sqs] });
    process.stdout.write('ready\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  return child;
}
