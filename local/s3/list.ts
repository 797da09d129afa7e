import { S3Error } from './errors';

/** ListObjectsV2's paging and grouping parameters. */
export interface ListParams {
  readonly prefix?: string;
  readonly delimiter?: string;
  /** @default 1000 (S3 never returns more in one page) */
  readonly maxKeys?: number;
  readonly continuationToken?: string;
  readonly startAfter?: string;
}

/** One page: the keys and common prefixes in S3's order, and where the next page starts. */
export interface ListPage {
  readonly keys: readonly string[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  readonly nextContinuationToken?: string;
}

const PAGE_LIMIT = 1000;

/** S3 orders keys by their UTF-8 bytes, which differs from JavaScript's UTF-16 order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * One ListObjectsV2 page over every key of a bucket (`sortedKeys`, in S3's order). Common
 * prefixes count against MaxKeys as S3 counts them; the continuation token names the last
 * entry returned, so a page after a common prefix skips every key under it.
 */
export function listPage(sortedKeys: readonly string[], params: ListParams): ListPage {
  const prefix = params.prefix ?? '';
  const maxKeys = Math.min(params.maxKeys ?? PAGE_LIMIT, PAGE_LIMIT);
  const after: Marker | undefined =
    params.continuationToken === undefined
      ? params.startAfter === undefined
        ? undefined
        : { after: params.startAfter, group: false }
      : decodeToken(params.continuationToken);
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let last: Marker | undefined;
  for (const key of sortedKeys) {
    if (!key.startsWith(prefix) || isBefore(key, after)) continue;
    const group = commonPrefix(key, prefix, params.delimiter);
    if (group !== undefined && last?.group && group === last.after) continue;
    if (keys.length + commonPrefixes.length >= maxKeys) {
      const token = last === undefined ? {} : { nextContinuationToken: encodeToken(last) };
      return { keys, commonPrefixes, isTruncated: true, ...token };
    }
    if (group === undefined) keys.push(key);
    else commonPrefixes.push(group);
    last = group === undefined ? { after: key, group: false } : { after: group, group: true };
  }
  return { keys, commonPrefixes, isTruncated: false };
}

/** The last entry a page returned: a key, or a common prefix (whose keys are all returned with it). */
interface Marker {
  readonly after: string;
  readonly group: boolean;
}

/** Whether `key` was already returned (or skipped by StartAfter) before the page that starts after `marker`. */
function isBefore(key: string, marker: Marker | undefined): boolean {
  if (marker === undefined) return false;
  return compareKeys(key, marker.after) <= 0 || (marker.group && key.startsWith(marker.after));
}

function commonPrefix(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (delimiter === undefined || delimiter === '') return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

function encodeToken(last: Marker): string {
  return Buffer.from(JSON.stringify(last), 'utf8').toString('base64url');
}

function decodeToken(token: string): Marker {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Marker>;
    if (typeof value.after === 'string' && typeof value.group === 'boolean')
      return { after: value.after, group: value.group };
  } catch {
    // fall through to S3's answer for a token it did not issue
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect');
}
