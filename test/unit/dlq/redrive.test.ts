import type { Letter } from '../../../shared/dlq/letters';
import { kept, redriven } from '../../../shared/dlq/outcome';
import type { DeadLetterQueue, HeldMessage } from '../../../shared/dlq/queue';
import { peekQueue, redriveQueue } from '../../../shared/dlq/redrive';

const LETTER = JSON.stringify({
  version: 1,
  provider: 'github',
  deliveryId: 'd-1',
  receivedAt: '2026-11-23T10:00:00.000Z',
  reason: 'ThrottlingException',
  failedEventIds: ['github:d-1:0'],
  headers: { 'x-github-event': 'push' },
  body: { encoding: 'utf8', data: '{}' },
});

/** A queue in memory with SQS's visibility: a received message is hidden until deleted or released. */
class MemoryQueue implements DeadLetterQueue {
  readonly name = 'webhooks' as const;
  readonly visible: HeldMessage[] = [];
  readonly hidden: HeldMessage[] = [];
  failDelete = false;

  add(messageId: string, body: string, sentAt = new Date('2026-11-23T10:00:00Z')): void {
    this.visible.push({
      queue: 'webhooks',
      messageId,
      receipt: `r-${messageId}`,
      body,
      attributes: {},
      sentAt,
      receiveCount: 0,
    });
  }
  async arn() {
    return 'arn:aws:sqs:eu-west-1:000000000000:webhooks';
  }
  async retentionSeconds() {
    return 14 * 86_400;
  }
  async receive() {
    const batch = this.visible.splice(0, 2);
    this.hidden.push(...batch);
    return batch;
  }
  async delete(message: HeldMessage) {
    if (this.failDelete) throw new Error('SQS unavailable');
    this.hidden.splice(this.hidden.indexOf(message), 1);
  }
  async release(message: HeldMessage) {
    this.hidden.splice(this.hidden.indexOf(message), 1);
    this.visible.push(message);
  }
}

describe('redriveQueue', () => {
  it('deletes what was sent on, puts back what was not (with why), and never hands a foreign message to a redriver', async () => {
    const queue = new MemoryQueue();
    queue.add('m-good', LETTER);
    queue.add('m-junk', 'junk');
    queue.add('m-refused', LETTER.replace('d-1', 'd-2'));
    const seen: Letter[] = [];
    const reports = await redriveQueue(
      queue,
      async (letter) => {
        seen.push(letter);
        return letter.kind === 'webhook' && letter.letter.deliveryId === 'd-1'
          ? redriven('published')
          : kept('not_admitted', 'no');
      },
      { limit: 100 },
    );
    expect(reports.map((r) => [r.messageId, r.status])).toEqual([
      ['m-good', 'redriven'],
      ['m-junk', 'kept'],
      ['m-refused', 'kept'],
    ]);
    expect(reports[1]).toMatchObject({ code: 'foreign', detail: 'the body is not JSON' });
    expect(seen).toHaveLength(2);
    expect(queue.visible.map((m) => m.messageId).sort()).toEqual(['m-junk', 'm-refused']);
    expect(queue.hidden).toHaveLength(0);
  });

  it('redrives only the messages chosen and puts every other one back', async () => {
    const queue = new MemoryQueue();
    for (const id of ['a', 'b', 'c']) queue.add(id, LETTER);
    const reports = await redriveQueue(queue, async () => redriven('ok'), { limit: 100, select: (id) => id === 'b' });
    expect(reports.map((r) => r.messageId)).toEqual(['b']);
    expect(queue.visible.map((m) => m.messageId).sort()).toEqual(['a', 'c']);
  });

  it('keeps a message whose redriver throws, and says so when a sent message could not be deleted', async () => {
    const queue = new MemoryQueue();
    queue.add('m-1', LETTER);
    const [thrown] = await redriveQueue(queue, async () => Promise.reject(new Error('boom')), { limit: 100 });
    expect(thrown).toMatchObject({ status: 'kept', code: 'send_failed', detail: 'boom' });
    queue.failDelete = true;
    const [undeleted] = await redriveQueue(queue, async () => redriven('published'), { limit: 100 });
    expect(undeleted?.detail).toBe('published; not removed from the queue: SQS unavailable');
  });
});

describe('peekQueue', () => {
  it('shows every message, with when SQS drops it, and leaves them all in the queue', async () => {
    const queue = new MemoryQueue();
    queue.add('m-1', LETTER, new Date('2026-11-20T10:00:00Z'));
    queue.add('m-2', 'junk', new Date('2026-11-21T10:00:00Z'));
    queue.add('m-3', LETTER, new Date('2026-11-22T10:00:00Z'));
    const views = await peekQueue(queue, 100);
    expect(views.map((v) => [v.messageId, v.letter.kind, v.subject, v.expiresAt.toISOString()])).toEqual([
      ['m-1', 'webhook', 'github delivery d-1', '2026-12-04T10:00:00.000Z'],
      ['m-2', 'foreign', '(unreadable)', '2026-12-05T10:00:00.000Z'],
      ['m-3', 'webhook', 'github delivery d-1', '2026-12-06T10:00:00.000Z'],
    ]);
    expect(views[0]?.reason).toBe('publish failed: ThrottlingException');
    expect(queue.visible).toHaveLength(3);
    expect(queue.hidden).toHaveLength(0);
  });
});
