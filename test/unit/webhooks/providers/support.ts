import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SourceChange, SourceChangeSchema } from '../../../../events';
import type { ProviderAdapter } from '../../../../shared/webhooks/providers';
import { normalizeHeaders, type WebhookRequest } from '../../../../shared/webhooks/request';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'webhooks');

/** The raw bytes of `test/fixtures/webhooks/<dir>/<name>`, as a provider would send them. */
export function fixtureBody(dir: string, name: string): Buffer {
  return readFileSync(join(FIXTURES, dir, name));
}

/** A fixture parsed as JSON; a fresh copy each time, so tests may change it. */
export function fixture(dir: string, name: string): Record<string, unknown> {
  return JSON.parse(fixtureBody(dir, name).toString('utf8')) as Record<string, unknown>;
}

/** A fixture with the value at `path` replaced (or removed, for `undefined`): one variant per test. */
export function fixtureWith(
  dir: string,
  name: string,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const payload = fixture(dir, name);
  let node: Record<string, unknown> = payload;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
  return payload;
}

/** Runs `normalize` and checks every change against SourceChange, as the receiver does. */
export function normalized(adapter: ProviderAdapter, eventName: string, payload: unknown): SourceChange[] {
  return adapter.normalize(eventName, payload).map((change) => SourceChangeSchema.parse(change));
}

/** The one change a single-ref delivery becomes. */
export function onlyChange(adapter: ProviderAdapter, eventName: string, payload: unknown): SourceChange {
  const changes = normalized(adapter, eventName, payload);
  expect(changes).toHaveLength(1);
  const [change] = changes;
  if (change === undefined) throw new Error('no change');
  return change;
}

/** A delivery as the receiver sees it: header names lower-cased at the edge. */
export function requestOf(
  adapter: ProviderAdapter,
  headers: Readonly<Record<string, string>>,
  body: Buffer = Buffer.from('{}'),
): WebhookRequest {
  return { provider: adapter.provider, headers: normalizeHeaders(headers), body };
}

/** The request a provider would send: its own `deliveryHeaders`, signed with `secret`. */
export function signedRequest(
  adapter: ProviderAdapter,
  body: Buffer,
  secret: string,
  eventName?: string,
): WebhookRequest {
  const headers = adapter.deliveryHeaders({
    body,
    secret,
    eventName: eventName ?? adapter.pushEventName,
    deliveryId: 'delivery-1',
  });
  return requestOf(adapter, headers, body);
}
