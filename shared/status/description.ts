/** GitHub refuses longer descriptions (422); the others accept at least this many characters. */
export const MAX_DESCRIPTION_LENGTH = 140;

const ELLIPSIS = '…';
/**
 * Made at the first description that needs cutting, not at import: the first Intl object a
 * process makes starts ICU, ~10 ms that every cold start of every step importing this would pay.
 */
let graphemes: Intl.Segmenter | undefined;

/**
 * A description fit for every provider: whitespace runs (newlines from error messages included)
 * become one space, and text longer than `max` UTF-16 code units is cut at a grapheme boundary
 * and ends with `…`. Counting code units is the strictest measure providers apply, and cutting
 * on graphemes never splits a surrogate pair, an emoji sequence or a combining mark.
 */
export function truncateDescription(text: string, max: number = MAX_DESCRIPTION_LENGTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  let kept = '';
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(flat)) {
    if (kept.length + segment.length > max - ELLIPSIS.length) break;
    kept += segment;
  }
  return `${kept.trimEnd()}${ELLIPSIS}`;
}
