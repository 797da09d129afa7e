import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { PROVIDERS, SourceEventSchema } from '../../../events';
import { answerApiGatewayDelivery } from '../../../shared/webhooks/api-gateway';
import { ConnectionDirectory } from '../../../shared/webhooks/connections';
import { adapterFor } from '../../../shared/webhooks/normalize';
import { type ProviderFixture, providerFixtures } from '../../support/fixtures';
import { receiverFakes, SECRET } from '../../support/receiver-fakes';

const FIXTURES = providerFixtures();
let mutants = 0;
const TOKEN_AUTHENTICATED = new Set(['gitlab', 'azure-devops']);
const HEADER_NAMES = [
  'content-type',
  'x-github-event',
  'x-hub-signature-256',
  'x-hub-signature',
  'x-gitlab-token',
  'x-gitlab-event',
  'x-event-key',
  'x-gitea-signature',
  'x-gitea-event',
  'x-forgejo-signature',
  'authorization',
];

/** A receiver that has one connection per provider, so every provider reaches verification. */
function receiver() {
  const f = receiverFakes({
    connections: new ConnectionDirectory(
      PROVIDERS.map((p) => ({ name: p, provider: p, secretId: p, repositories: [] })),
    ),
  });
  return f;
}

function apiEvent(
  provider: string,
  headers: Record<string, string>,
  body: Buffer,
  base64 = true,
): APIGatewayProxyEvent {
  return {
    pathParameters: { provider },
    headers,
    multiValueHeaders: {},
    body: base64 ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: base64,
  } as unknown as APIGatewayProxyEvent;
}

/** The fixture as its provider would sign and send it. */
function signed(fx: ProviderFixture, body: Buffer = fx.body, deliveryId = `d-${fx.file}`): Record<string, string> {
  const adapter = adapterFor(fx.provider);
  return {
    'Content-Type': 'application/json',
    ...adapter.deliveryHeaders({ body, secret: SECRET, eventName: fx.eventName, deliveryId }),
  };
}

/** Every path to a value inside a JSON document. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => pathsOf((value as Record<string | number, unknown>)[k], [...prefix, k]))];
}

function replaceAt(doc: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  const copy = (Array.isArray(doc) ? [...doc] : { ...(doc as object) }) as Record<string | number, unknown>;
  copy[head] = replaceAt(copy[head], rest, replacement);
  return copy;
}

describe('the receiver under random and mutated requests', () => {
  it('has fixtures for every provider to mutate', () => {
    expect(new Set(FIXTURES.map((f) => f.provider))).toEqual(new Set(PROVIDERS));
  });

  it('never answers 5xx nor throws for arbitrary requests', async () => {
    const f = receiver();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...PROVIDERS), fc.string()),
        fc.dictionary(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string()), fc.string()),
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
        ),
        fc.boolean(),
        async (provider, headers, body, base64) => {
          const { response, outcome } = await answerApiGatewayDelivery(
            f.deps,
            apiEvent(provider, headers, body, base64),
          );
          expect(outcome.kind).not.toBe('failed');
          expect(response.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts every genuine delivery whatever the case of its header names', async () => {
    const f = receiver();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), fc.infiniteStream(fc.boolean()), async (fx, upper) => {
        const headers = Object.fromEntries(
          Object.entries(signed(fx)).map(([name, value]) => [
            upper.next().value ? name.toUpperCase() : name.toLowerCase(),
            value,
          ]),
        );
        const { response } = await answerApiGatewayDelivery(f.deps, apiEvent(fx.provider, headers, fx.body));
        expect([200, 202]).toContain(response.statusCode);
      }),
      { numRuns: 300 },
    );
    expect(f.bus.published.length).toBeGreaterThan(0);
    for (const event of f.bus.published) expect(SourceEventSchema.safeParse(event.detail).error).toBeUndefined();
  });

  it('refuses a genuine delivery with any byte changed after signing', async () => {
    const f = receiver();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURES),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (fx, at, xor) => {
          const tampered = Buffer.from(fx.body);
          const i = at % tampered.length;
          tampered[i] = (tampered[i] ?? 0) ^ xor;
          const { response } = await answerApiGatewayDelivery(f.deps, apiEvent(fx.provider, signed(fx), tampered));
          // GitLab tokens and Azure DevOps Basic auth authenticate the sender, not the body.
          if (TOKEN_AUTHENTICATED.has(fx.provider)) expect(response.statusCode).toBeLessThan(500);
          else expect(response.statusCode).toBe(401);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers a signed delivery whose payload was changed anywhere with 2xx or 400, never 5xx', async () => {
    const f = receiver();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURES),
        fc.nat(),
        fc.jsonValue({ maxDepth: 2 }),
        async (fx, pick, value) => {
          const doc = JSON.parse(fx.body.toString('utf8')) as unknown;
          const paths = pathsOf(doc);
          const body = Buffer.from(JSON.stringify(replaceAt(doc, paths[pick % paths.length] ?? [], value)));
          const { response, outcome } = await answerApiGatewayDelivery(
            f.deps,
            apiEvent(fx.provider, signed(fx, body, `mutant-${++mutants}`), body),
          );
          expect(outcome.kind).not.toBe('failed');
          expect([200, 202, 400]).toContain(response.statusCode);
        },
      ),
      { numRuns: 1000 },
    );
    // Whatever the adapters let through is still SourceEvent v1: they build it, nothing re-checks it at run time.
    expect(f.bus.published.length).toBeGreaterThan(100);
    for (const event of f.bus.published) expect(SourceEventSchema.safeParse(event.detail).error).toBeUndefined();
  });
});
