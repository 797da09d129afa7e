import type { SourceEvent } from '../events';
import { WebhookError } from '../shared/webhooks/errors';
import { adapterFor, parseDelivery, toSourceEvents } from '../shared/webhooks/normalize';
import { normalizeHeaders } from '../shared/webhooks/request';
import { UsageError } from './errors';

/** The receiver's own parse-and-normalize path, minus verification, for a file on disk. */
export async function normalizeFile(
  provider: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<SourceEvent[]> {
  try {
    const adapter = adapterFor(provider);
    const withType = { 'content-type': 'application/json', ...normalizeHeaders(headers) };
    return toSourceEvents(
      parseDelivery(adapter, { provider: adapter.provider, headers: withType, body }),
      new Date().toISOString(),
    );
  } catch (error) {
    if (error instanceof WebhookError) throw new UsageError(`${error.code}: ${error.message}`);
    throw error;
  }
}

export interface SignOptions {
  readonly secret: string;
  readonly deliveryId: string;
  readonly eventName?: string;
}

/** The headers `provider` would send with `body`, Content-Type first. */
export function signFile(provider: string, body: Buffer, options: SignOptions): Record<string, string> {
  let adapter: ReturnType<typeof adapterFor>;
  try {
    adapter = adapterFor(provider);
  } catch (error) {
    if (error instanceof WebhookError) throw new UsageError(error.message);
    throw error;
  }
  return {
    'Content-Type': 'application/json',
    ...adapter.deliveryHeaders({
      body,
      secret: options.secret,
      eventName: options.eventName ?? adapter.pushEventName,
      deliveryId: options.deliveryId,
    }),
  };
}
