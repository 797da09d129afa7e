import type { SourceEvent } from '../../../events';
import { fitForBus } from '../../../shared/webhooks/fit';

function pushWith(commits: number, messageChars: number): SourceEvent {
  return {
    schemaVersion: '1',
    eventId: 'github:d:0',
    provider: 'github',
    deliveryId: 'd',
    providerEvent: 'push',
    receivedAt: '2026-11-23T10:00:00.000Z',
    kind: 'push',
    subkind: null,
    repository: { fullName: 'acme/widgets', cloneUrl: null, htmlUrl: null },
    ref: 'refs/heads/main',
    branch: 'main',
    tag: null,
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    headSha: 'b'.repeat(40),
    created: false,
    deleted: false,
    forced: false,
    commits: Array.from({ length: commits }, (_, i) => ({
      id: String(i).padStart(40, '0'),
      message: 'é'.repeat(messageChars),
      author: { name: 'A', email: null },
      timestamp: null,
    })),
    totalCommits: null,
    pusher: 'octocat',
    sender: 'octocat',
    pullRequest: null,
  };
}

describe('fitForBus', () => {
  it('leaves an event that fits untouched and hands back its serialization', () => {
    const event = pushWith(3, 20);
    const fitted = fitForBus(event);
    expect(fitted.detail).toBe(event);
    expect(fitted.json).toBe(JSON.stringify(event));
  });

  it('cuts long commit messages first, counting bytes not characters', () => {
    const fitted = fitForBus(pushWith(20, 8_000));
    expect(Buffer.byteLength(fitted.json)).toBeLessThanOrEqual(250 * 1024);
    expect(fitted.detail.commits).toHaveLength(20);
    expect(fitted.detail.commits[0]?.message).toHaveLength(1025);
  });

  it('keeps only the newest commit when even short messages are too many, and keeps the real count', () => {
    const fitted = fitForBus(pushWith(2_000, 200));
    expect(Buffer.byteLength(fitted.json)).toBeLessThanOrEqual(250 * 1024);
    expect(fitted.detail.commits.map((c) => c.id)).toEqual([String(1999).padStart(40, '0')]);
    expect(fitted.detail.totalCommits).toBe(2_000);
    expect(JSON.parse(fitted.json)).toEqual(fitted.detail);
  });
});
