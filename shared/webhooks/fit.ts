import type { SourceEvent } from '../../events';

/** Room kept for the source and detail-type within EventBridge's 256 KB entry limit. */
const MAX_DETAIL_BYTES = 250 * 1024;
const MAX_MESSAGE_CHARS = 1024;

/**
 * Shrinks an event that would not fit on the bus: commit messages are cut first, then the
 * commit list is reduced to its newest commit. `totalCommits` keeps the real count where the
 * provider gave one, so nothing pretends the push was smaller than it was.
 */
export function fitForBus(event: SourceEvent): SourceEvent {
  if (Buffer.byteLength(JSON.stringify(event)) <= MAX_DETAIL_BYTES) return event;
  const cut = {
    ...event,
    commits: event.commits.map((c) =>
      c.message.length > MAX_MESSAGE_CHARS ? { ...c, message: `${c.message.slice(0, MAX_MESSAGE_CHARS)}…` } : c,
    ),
  };
  if (Buffer.byteLength(JSON.stringify(cut)) <= MAX_DETAIL_BYTES) return cut;
  return {
    ...cut,
    commits: cut.commits.slice(-1),
    totalCommits: cut.totalCommits ?? event.commits.length,
  };
}
