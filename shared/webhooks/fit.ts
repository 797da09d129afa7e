import type { SourceEvent } from '../../events';

/** Room kept for the source and detail-type within EventBridge's 256 KB entry limit. */
const MAX_DETAIL_BYTES = 250 * 1024;
const MAX_MESSAGE_CHARS = 1024;

/** An event ready for the bus, serialized once: the size check and PutEvents share the text. */
export interface FittedEvent {
  readonly detail: SourceEvent;
  readonly json: string;
}

/**
 * Shrinks an event that would not fit on the bus: commit messages are cut first, then the
 * commit list is reduced to its newest commit. `totalCommits` keeps the real count where the
 * provider gave one, so nothing pretends the push was smaller than it was.
 */
export function fitForBus(event: SourceEvent): FittedEvent {
  const json = JSON.stringify(event);
  if (fits(json)) return { detail: event, json };
  const cut = {
    ...event,
    commits: event.commits.map((c) =>
      c.message.length > MAX_MESSAGE_CHARS ? { ...c, message: `${cutText(c.message, MAX_MESSAGE_CHARS)}…` } : c,
    ),
  };
  const cutJson = JSON.stringify(cut);
  if (fits(cutJson)) return { detail: cut, json: cutJson };
  const newest = { ...cut, commits: cut.commits.slice(-1), totalCommits: cut.totalCommits ?? event.commits.length };
  return { detail: newest, json: JSON.stringify(newest) };
}

/** The first `max` UTF-16 units, never half of a surrogate pair (a lone one re-encodes differently). */
function cutText(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** UTF-8 takes at most three bytes per UTF-16 unit, so short text needs no byte count. */
function fits(json: string): boolean {
  return json.length * 3 <= MAX_DETAIL_BYTES || Buffer.byteLength(json) <= MAX_DETAIL_BYTES;
}
