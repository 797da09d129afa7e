import { AwsServiceError } from '../edge/aws-json';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** maxResults as Step Functions reads it: 0 or absent means the default page of 100. */
export function maxResultsOf(input: Record<string, unknown>): number {
  const value = input.maxResults;
  if (value === undefined || value === 0) return DEFAULT_PAGE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_PAGE) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`,
    );
  }
  return value;
}

/**
 * A page of `items` (already in listing order) after the item whose key is the token's cursor.
 * Cursors are keys, not offsets, so executions started between two calls do not shift pages.
 */
export function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => number,
  input: Record<string, unknown>,
  scope: string,
): { items: T[]; nextToken?: string } {
  const max = maxResultsOf(input);
  const cursor =
    input.nextToken === undefined || input.nextToken === null ? undefined : cursorOf(input.nextToken, scope);
  const start = cursor === undefined ? 0 : items.findIndex((item) => keyOf(item) === cursor) + 1;
  if (cursor !== undefined && start === 0) throw invalidToken(String(input.nextToken));
  const page = items.slice(start, start + max);
  const last = page.at(-1);
  if (last === undefined || start + max >= items.length) return { items: page };
  return { items: page, nextToken: Buffer.from(JSON.stringify({ s: scope, c: keyOf(last) })).toString('base64url') };
}

function cursorOf(token: unknown, scope: string): number {
  if (typeof token !== 'string') throw invalidToken(String(token));
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; c?: unknown };
    if (parsed.s === scope && typeof parsed.c === 'number') return parsed.c;
  } catch {
    // falls through to InvalidToken
  }
  throw invalidToken(token);
}

function invalidToken(token: string): AwsServiceError {
  return new AwsServiceError('InvalidToken', `Invalid Token: '${token}'`);
}
