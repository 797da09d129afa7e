import fc from 'fast-check';
import * as z from 'zod/mini';
import {
  AUDIT_DETAIL_PARSERS,
  AUDIT_DETAILS,
  AUDIT_TYPES,
  AuditRecordInputParser,
  AuditRecordInputSchema,
  type LazyCompiled,
  type SourceEvent,
  SourceEventParser,
  useGeneratedCheckers,
} from '../../../events';
import { PROVIDER_ADAPTERS } from '../../../shared/webhooks/providers';
import * as azureDevops from '../../../shared/webhooks/providers/azure-devops';
import * as bitbucketCloud from '../../../shared/webhooks/providers/bitbucket-cloud';
import * as bitbucketDc from '../../../shared/webhooks/providers/bitbucket-dc';
import * as gitea from '../../../shared/webhooks/providers/gitea';
import * as github from '../../../shared/webhooks/providers/github';
import * as gitlab from '../../../shared/webhooks/providers/gitlab';
import { providerFixtures } from '../../support/fixtures';
import { arbitraryOf, copy, described, junk, mutated, sharedObjects } from '../../support/schema-fuzz';

// As the webhook receiver does at its cold start: every parser below then runs on zod's generated checker.
useGeneratedCheckers();

type Parser = LazyCompiled<z.ZodMiniType>;

const isParser = (value: unknown): value is Parser =>
  typeof value === 'object' && value !== null && 'schema' in value && 'safeParse' in value;

/** Every payload schema the provider adapters read through `readPayload`, by module and name. */
const PAYLOADS: [string, Parser][] = Object.entries({
  azureDevops,
  bitbucketCloud,
  bitbucketDc,
  gitea,
  github,
  gitlab,
}).flatMap(([module, exports]) =>
  Object.entries(exports)
    .filter((entry): entry is [string, Parser] => isParser(entry[1]))
    .map(([name, parser]): [string, Parser] => [`${module}.${name}`, parser]),
);

const PARSERS: [string, Parser][] = [
  ['SourceEventParser', SourceEventParser],
  ['AuditRecordInputParser', AuditRecordInputParser as Parser],
  ...Object.entries(AUDIT_DETAIL_PARSERS).map(([type, parser]): [string, Parser] => [`details of ${type}`, parser]),
  ...PAYLOADS,
];

const FIXTURES = providerFixtures().map((f) => ({ ...f, payload: JSON.parse(f.body.toString('utf8')) as unknown }));

/** The source events the adapters make of the fixtures, as the receiver builds them. */
const SOURCE_EVENTS: SourceEvent[] = FIXTURES.flatMap(({ provider, eventName, payload }, i) => {
  const adapter = PROVIDER_ADAPTERS[provider];
  const name = adapter.eventName({ provider, headers: { 'x-event': eventName }, body: Buffer.from('') }, payload);
  return adapter.normalize(name ?? eventName, payload).map((change, index) => ({
    schemaVersion: '1' as const,
    eventId: `${provider}:d-${i}:${index}`,
    provider,
    deliveryId: `d-${i}`,
    providerEvent: name ?? eventName,
    receivedAt: '2026-12-07T14:00:00.000Z',
    ...change,
  }));
});

/** The ledger records the receiver writes for those events. */
const ACCEPTED = SOURCE_EVENTS.map((e) => ({
  type: 'webhook.accepted',
  actor: { type: 'provider', id: e.provider, providerIdentity: e.sender },
  subject: { repository: e.repository.fullName, commit: e.headSha },
  outcome: 'success',
  details: {
    deliveryId: e.deliveryId,
    eventName: e.providerEvent,
    events: [{ eventId: e.eventId, kind: e.kind, ref: e.ref, headSha: e.headSha }],
    commits: e.commits.map((c) => ({ id: c.id, message: c.message, author: c.author.email, timestamp: c.timestamp })),
  },
  correlationId: e.deliveryId,
}));

/** A record's details are valid only for its type, which a generic arbitrary rarely hits. */
const validAuditRecord = fc
  .constantFrom(...AUDIT_TYPES)
  .chain((type) =>
    fc
      .tuple(arbitraryOf(AuditRecordInputSchema), arbitraryOf(AUDIT_DETAILS[type]))
      .map(([record, details]) => ({ ...(record as object), type, details })),
  );

function seedsOf(name: string): unknown[] {
  if (name === 'SourceEventParser') return SOURCE_EVENTS;
  if (name === 'AuditRecordInputParser') return ACCEPTED;
  if (name === 'details of webhook.accepted') return ACCEPTED.map((r) => r.details);
  return PAYLOADS.some(([n]) => n === name) ? FIXTURES.map((f) => f.payload) : [];
}

/** Valid values (generated, and the fixtures), the same with changes anywhere in them, and junk. */
function candidates(name: string, parser: Parser): fc.Arbitrary<unknown> {
  const valid = name === 'AuditRecordInputParser' ? validAuditRecord : arbitraryOf(parser.schema);
  const seeds = seedsOf(name);
  const base = seeds.length === 0 ? valid : fc.oneof(valid, fc.constantFrom(...seeds));
  return fc.oneof(
    { arbitrary: base.map(copy), weight: 2 },
    { arbitrary: mutated(base), weight: 5 },
    { arbitrary: junk, weight: 1 },
  );
}

const issuesOf = (error: z.core.$ZodError) => error.issues.map((issue) => described(issue));

function thrownBy(parse: () => unknown): unknown {
  try {
    return { returned: parse() };
  } catch (error) {
    return { threw: error instanceof z.core.$ZodError ? issuesOf(error) : String(error) };
  }
}

/** The generated checker's answer is the runtime's: success, output (to key order and sharing) and issues. */
function expectAgreement(parser: Parser, value: unknown): void {
  const before = described(value);
  const generated = parser.safeParse(value);
  const runtime = parser.schema.safeParse(value);
  expect(described(value)).toBe(before);
  expect(generated.success).toBe(runtime.success);
  if (generated.success && runtime.success) {
    expect(described(generated.data)).toBe(described(runtime.data));
    expect(sharedObjects(value, generated.data)).toEqual(sharedObjects(value, runtime.data));
  } else if (!generated.success && !runtime.success) {
    expect(issuesOf(generated.error)).toEqual(issuesOf(runtime.error));
  }
  expect(described(thrownBy(() => parser.parse(value)))).toBe(described(thrownBy(() => parser.schema.parse(value))));
}

describe('the generated checkers (useGeneratedCheckers)', () => {
  it('covers every payload schema the provider adapters read', () => {
    expect(PAYLOADS.map(([name]) => name)).toHaveLength(15);
  });

  it.each(PARSERS)('compiles %s without falling back to the runtime checker', (_name, parser) => {
    expect(() => z.compile(parser.schema, { strict: true })).not.toThrow();
  });

  it.each(PARSERS)('parses every fixture with %s as the runtime checker does', (name, parser) => {
    for (const seed of seedsOf(name)) expectAgreement(parser, copy(seed));
  });

  it.each(PARSERS)('parses valid, changed and hostile values with %s as the runtime checker does', (name, parser) => {
    fc.assert(
      fc.property(candidates(name, parser), (value) => expectAgreement(parser, value)),
      { numRuns: 300 },
    );
  });
});
