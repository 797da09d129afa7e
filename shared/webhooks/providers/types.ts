import type { Provider, SourceChange } from '../../../events';
import type { BodyFormat, WebhookRequest } from '../request';

/** Outcome of checking a delivery's signature or token. */
export type Verification = 'valid' | 'missing' | 'invalid';

/**
 * What Gantry knows about one Git provider's webhooks. Adapters are pure: no I/O, no clock.
 * They read untrusted input and must never throw except `PayloadError` from `normalize`.
 */
export interface ProviderAdapter {
  readonly provider: Provider;
  /** Body formats this provider can be configured to send. */
  readonly bodyFormats: readonly BodyFormat[];
  /** Checks the signature or token against every candidate secret (current and previous). */
  verify(request: WebhookRequest, secrets: readonly string[]): Verification;
  /** The delivery id the provider sends, if any; the receiver falls back to a body digest. */
  deliveryId(request: WebhookRequest, payload: unknown): string | undefined;
  /** The provider's event name (a header for most, a body field for Azure DevOps); undefined when missing. */
  eventName(request: WebhookRequest, payload: unknown): string | undefined;
  /** The event name's source, for the "missing header" message (e.g. `X-GitHub-Event`). */
  readonly eventNameSource: string;
  /** The repository's canonical full name, read leniently: used to pick the connection whose secret verifies. */
  repositoryOf(payload: unknown): string | undefined;
  /**
   * One canonical change per ref change. `[]` means the event type is not one Gantry acts on
   * (answered 200 and dropped). Throws `PayloadError` when the payload lacks required fields.
   */
  normalize(eventName: string, payload: unknown): SourceChange[];
  /** The event name of a branch push, the default for `gantry webhook sign`. */
  readonly pushEventName: string;
  /**
   * The headers this provider would send with `body` (signature or token, event, delivery id),
   * without Content-Type. Used by `gantry webhook sign`, the demo, tests and benchmarks.
   */
  deliveryHeaders(delivery: SimulatedDelivery): Record<string, string>;
}

/** A delivery to sign as the provider would. */
export interface SimulatedDelivery {
  readonly body: Buffer;
  readonly secret: string;
  readonly eventName: string;
  readonly deliveryId: string;
}
