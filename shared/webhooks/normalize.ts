import { type Provider, ProviderSchema, type SourceChange, type SourceEvent } from '../../events';
import { WebhookError } from './errors';
import { parseBody } from './payload';
import { PROVIDER_ADAPTERS, type ProviderAdapter } from './providers';
import { type BodyFormat, bodyFormatOf, header, mediaType, type WebhookRequest } from './request';
import { bodyDigest } from './signatures';

/** The adapter for a `{provider}` path segment; `unknown_provider` (404) otherwise. */
export function adapterFor(provider: string): ProviderAdapter {
  const parsed = ProviderSchema.safeParse(provider);
  const adapter = parsed.success ? PROVIDER_ADAPTERS[parsed.data] : undefined;
  if (adapter === undefined) throw new WebhookError('unknown_provider', `unknown provider "${provider.slice(0, 64)}"`);
  return adapter;
}

/** Checks the media type against what the provider sends; `unsupported_media_type` (415) otherwise. */
export function bodyFormatFor(adapter: ProviderAdapter, request: WebhookRequest): BodyFormat {
  const contentType = header(request.headers, 'content-type');
  const format = bodyFormatOf(contentType);
  if (format === undefined || !adapter.bodyFormats.includes(format)) {
    const type = mediaType(contentType)?.slice(0, 100) ?? 'none';
    throw new WebhookError(
      'unsupported_media_type',
      `content type ${type} is not accepted for ${adapter.provider}; send ${adapter.bodyFormats.map(formatMediaType).join(' or ')}`,
    );
  }
  return format;
}

function formatMediaType(format: BodyFormat): string {
  return format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
}

/** A delivery whose body parsed; not yet verified. */
export interface ParsedDelivery {
  readonly adapter: ProviderAdapter;
  readonly request: WebhookRequest;
  readonly payload: unknown;
}

/** Parses the body in the provider's format; `malformed_body` (400) when it does not parse. */
export function parseDelivery(adapter: ProviderAdapter, request: WebhookRequest): ParsedDelivery {
  return { adapter, request, payload: parseBody(request.body, bodyFormatFor(adapter, request)) };
}

/** The delivery's identity: the provider's delivery id, or the body's SHA-256 where it sends none. */
export function deliveryIdOf({ adapter, request, payload }: ParsedDelivery): string {
  return adapter.deliveryId(request, payload) ?? `sha256-${bodyDigest(request.body)}`;
}

/** The provider's event name; `missing_header` (400) when the delivery does not carry one. */
export function eventNameOf({ adapter, request, payload }: ParsedDelivery): string {
  const name = adapter.eventName(request, payload);
  if (name === undefined) {
    throw new WebhookError('missing_header', `${adapter.eventNameSource} is required`, {
      provider: adapter.provider,
    });
  }
  return name;
}

/**
 * The SourceEvents a verified delivery becomes: one per ref change, `[]` for an event type
 * Gantry ignores. Adapters read payloads through zod and build typed changes, so the result is
 * SourceEvent v1 by construction; the tests check every adapter's output against the schema.
 */
export function toSourceEvents(delivery: ParsedDelivery, receivedAt: string): SourceEvent[] {
  const eventName = eventNameOf(delivery);
  const deliveryId = deliveryIdOf(delivery);
  const provider: Provider = delivery.adapter.provider;
  return delivery.adapter.normalize(eventName, delivery.payload).map(
    (change: SourceChange, index): SourceEvent => ({
      schemaVersion: '1',
      eventId: `${provider}:${deliveryId}:${index}`,
      provider,
      deliveryId,
      providerEvent: eventName,
      receivedAt,
      ...change,
    }),
  );
}
