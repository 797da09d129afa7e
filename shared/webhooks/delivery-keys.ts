import { PROVIDERS, type Provider } from '../../events';

export interface DeliveryKey {
  readonly provider: Provider;
  readonly deliveryId: string;
}

/** The DynamoDB item key of one piece of signed content, held by the first delivery that brought it. */
export function contentPk(provider: Provider, contentKey: string): string {
  // Delivery keys start with the provider's name, never `content#`: no delivery id can collide.
  return `content#${provider}#${contentKey}`;
}

/** The DynamoDB item key of a delivery. */
export function deliveryPk(key: DeliveryKey): string {
  return `${key.provider}#${key.deliveryId}`;
}

/**
 * Every key `deliveryPk` and `contentPk` make starts with one of these (`dynamodb:LeadingKeys`
 * patterns): the receiver, and ResolvePlan reading after it, reach no other item of the table
 * (the notifier's `notify#…`, the operator API's used proofs `proof#…`).
 */
export const DELIVERY_KEY_PATTERNS: readonly string[] = [...PROVIDERS.map((p) => `${p}#*`), 'content#*'];
