import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** HMAC-SHA256 of the raw body bytes. */
export function hmacSha256(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * True when `hexDigest` is the HMAC-SHA256 of `body` under one of `secrets`, tried in order
 * (current first, so the common case costs one HMAC). Never throws: a malformed digest is
 * simply not a match. Each comparison is constant-time over the 32 digest bytes; stopping at
 * the first match only tells a sender who already holds a valid secret which one it holds.
 */
export function matchesHmacSha256(body: Buffer, hexDigest: string | undefined, secrets: readonly string[]): boolean {
  if (hexDigest === undefined || !SHA256_HEX.test(hexDigest)) return false;
  const presented = Buffer.from(hexDigest, 'hex');
  return secrets.some((secret) => secret !== '' && timingSafeEqual(hmacSha256(secret, body), presented));
}

/**
 * Constant-time equality of two strings of any length: both sides are hashed first so the
 * comparison neither short-circuits nor leaks the expected length.
 */
export function constantTimeEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

/** True when `presented` equals one of `secrets`, compared in constant time. */
export function matchesToken(presented: string | undefined, secrets: readonly string[]): boolean {
  if (presented === undefined) return false;
  let matched = false;
  for (const secret of secrets) {
    if (secret !== '' && constantTimeEquals(presented, secret)) matched = true;
  }
  return matched;
}

/** Hex SHA-256 of the body: the delivery id of a provider that sends none. */
export function bodyDigest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
