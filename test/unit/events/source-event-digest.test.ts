import { type SourceEvent, sourceEventDigest } from '../../../events';
import { sourceEvent } from '../../support/plans';

/** Every object's keys in reverse order, all the way down: what a JSON round trip may do. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reordered(v)]),
  );
}

describe('sourceEventDigest', () => {
  const event = sourceEvent({
    pullRequest: null,
    commits: [
      { id: 'c'.repeat(40), message: 'Añadir ✓ 🚀', author: { name: 'Zoë', email: 'z@x.io' }, timestamp: null },
    ],
  });

  it('is the same whatever order the keys come in, and whatever the receiver’s clock said', () => {
    const shuffled = reordered(event) as SourceEvent;
    expect(Object.keys(shuffled)[0]).not.toBe(Object.keys(event)[0]);
    expect(sourceEventDigest(shuffled)).toBe(sourceEventDigest(event));
    expect(sourceEventDigest({ ...event, receivedAt: '2030-01-01T00:00:00.000Z' })).toBe(sourceEventDigest(event));
    expect(sourceEventDigest(JSON.parse(JSON.stringify(event)) as SourceEvent)).toBe(sourceEventDigest(event));
  });

  it('changes with anything else: a clone URL, a commit, the head', () => {
    const digest = sourceEventDigest(event);
    expect(sourceEventDigest({ ...event, headSha: 'd'.repeat(40) })).not.toBe(digest);
    expect(sourceEventDigest({ ...event, repository: { ...event.repository, cloneUrl: 'https://x/y.git' } })).not.toBe(
      digest,
    );
    expect(sourceEventDigest({ ...event, commits: [] })).not.toBe(digest);
  });
});
