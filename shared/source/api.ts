import type { Provider } from '../../events';
import { type Delivery, exchange } from '../status/deliver';
import type { FailedOutcome } from '../status/types';
import { SourceError, type SourceErrorCode } from './errors';
import { bytesOf } from './http';

/** One GET of a provider's API, with the headers that carry the token and the forms of it to redact. */
export interface ApiGet {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

/** What an answer that is not a good one means for the operator. */
export function codeOf(failed: FailedOutcome): SourceErrorCode {
  const status = failed.statusCode;
  if (status === 401 || status === 403 || status === 203) return 'unauthorized';
  if (status === 404 || status === 410) return 'not_found';
  return 'unavailable';
}

/**
 * Sends one GET through the status reporter's exchange (timeout, bounded retries of 5xx, 429 and
 * network errors, the token redacted from every reason) and answers its body's bytes.
 * @throws SourceError saying what `what` is and why it could not be read
 */
export async function getBytes(provider: Provider, what: string, get: ApiGet, delivery: Delivery): Promise<Buffer> {
  const answer = await exchange(
    provider,
    { method: 'GET', url: get.url, headers: { 'user-agent': 'gantry', ...get.headers }, timeoutMs: delivery.timeoutMs },
    get.secrets,
    delivery,
  );
  if ('failed' in answer) {
    const tries = answer.failed.attempts > 1 ? ` after ${answer.failed.attempts} attempts` : '';
    throw new SourceError(codeOf(answer.failed), `${what}: ${answer.failed.reason}${tries}`);
  }
  return bytesOf(answer.response);
}

/** `getBytes`, read as JSON. @throws SourceError when the answer is not JSON */
export async function getJson(provider: Provider, what: string, get: ApiGet, delivery: Delivery): Promise<unknown> {
  const bytes = await getBytes(provider, what, get, delivery);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new SourceError('unavailable', `${what}: the provider’s answer is not JSON`);
  }
}
