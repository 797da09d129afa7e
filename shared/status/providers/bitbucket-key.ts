import { createHash } from 'node:crypto';

const DIGEST_LENGTH = 12;

/**
 * A Bitbucket build key for `context` within `max` characters (Cloud allows 40, Data Center
 * 255). The key identifies the status, so a later report for the same context must produce the
 * same key: a context that is too long keeps its start and ends with a digest of the whole,
 * which keeps two long contexts with a common prefix apart.
 */
export function bitbucketKey(context: string, max: number): string {
  if (context.length <= max) return context;
  const digest = createHash('sha256').update(context, 'utf8').digest('hex').slice(0, DIGEST_LENGTH);
  let prefix = '';
  for (const char of context) {
    if (prefix.length + char.length > max - DIGEST_LENGTH - 1) break;
    prefix += char;
  }
  return `${prefix}-${digest}`;
}
