import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from now: Slack's own advice, against replays. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

/** Why a request is not Slack's; undefined when its signature verifies. */
export type SlackSignatureProblem = 'missing_headers' | 'stale_timestamp' | 'bad_signature';

/**
 * Slack's request signing (v0): `v0=` + HMAC-SHA256, keyed with the app's signing secret, over
 * `v0:{X-Slack-Request-Timestamp}:{raw body}`; the timestamp within five minutes of now; the
 * digests compared in constant time.
 */
export function verifySlackSignature(
  signingSecret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  rawBody: Buffer,
  now: Date,
): SlackSignatureProblem | undefined {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return 'missing_headers';
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) return 'stale_timestamp';
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'bad_signature';
}

/** The `X-Slack-Signature` Slack sends with a body at a timestamp (tests and local mode sign with it too). */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}
