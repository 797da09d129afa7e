import fc from 'fast-check';
import type { Provider } from '../../../../events';
import { PayloadError } from '../../../../shared/webhooks/errors';
import { PROVIDER_ADAPTERS, type ProviderAdapter } from '../../../../shared/webhooks/providers';
import { requestOf, signedRequest } from './support';

/** The event names each adapter acts on: the fuzzing below feeds garbage to every one of them. */
const EVENT_NAMES: Readonly<Record<Provider, readonly string[]>> = {
  github: ['push', 'pull_request', 'create', 'delete', 'ping'],
  gitlab: ['Push Hook', 'Tag Push Hook', 'Merge Request Hook', 'System Hook'],
  'bitbucket-cloud': ['repo:push', 'pullrequest:created', 'pullrequest:fulfilled'],
  'bitbucket-dc': ['repo:refs_changed', 'pr:opened', 'pr:merged', 'diagnostics:ping'],
  gitea: ['push', 'pull_request', 'pull_request_sync', 'create', 'delete'],
  forgejo: ['push', 'pull_request', 'pull_request_sync', 'create', 'delete'],
  'azure-devops': ['git.push', 'git.pullrequest.created', 'git.pullrequest.merged'],
};

const ADAPTERS: readonly [Provider, ProviderAdapter][] = Object.entries(PROVIDER_ADAPTERS) as [
  Provider,
  ProviderAdapter,
][];

const BODY = Buffer.from('{"eventType":"git.push","ref":"refs/heads/main"}');

const GARBAGE_HEADER_VALUES = [
  'sha256=',
  'sha256=zz',
  'sha256=0123',
  `sha256=${'g'.repeat(64)}`,
  'sha1=0000000000000000000000000000000000000000',
  'Basic',
  'Basic !!!not-base64!!!',
  'Basic YWJj',
  'Bearer token',
  'x'.repeat(10_000),
  '☃',
];

describe.each(ADAPTERS)('the %s adapter', (provider, adapter) => {
  it('is registered under its own provider name', () => {
    expect(adapter.provider).toBe(provider);
  });

  it('accepts a delivery carrying the headers its deliveryHeaders produce', () => {
    expect(adapter.verify(signedRequest(adapter, BODY, 'user:s3cret'), ['user:s3cret'])).toBe('valid');
  });

  it('accepts a delivery signed with the previous secret while secrets rotate', () => {
    const request = signedRequest(adapter, BODY, 'user:previous');
    expect(adapter.verify(request, ['user:current', 'user:previous'])).toBe('valid');
  });

  it('rejects a delivery signed with another secret', () => {
    expect(adapter.verify(signedRequest(adapter, BODY, 'user:other'), ['user:s3cret'])).toBe('invalid');
  });

  it('reports a delivery without a signature or token as missing', () => {
    expect(adapter.verify(requestOf(adapter, {}, BODY), ['user:s3cret'])).toBe('missing');
  });

  it('rejects every delivery when no secret is configured', () => {
    expect(adapter.verify(signedRequest(adapter, BODY, 'user:s3cret'), [])).toBe('invalid');
  });

  it('never treats an empty secret as a match', () => {
    expect(adapter.verify(signedRequest(adapter, BODY, ''), [''])).not.toBe('valid');
  });

  it.each(GARBAGE_HEADER_VALUES)('rejects a malformed credential header (%#) without throwing', (value) => {
    const sent = adapter.deliveryHeaders({ body: BODY, secret: 'user:s3cret', eventName: 'x', deliveryId: 'd' });
    const headers = Object.fromEntries(Object.keys(sent).map((name) => [name, value]));
    expect(['invalid', 'missing']).toContain(adapter.verify(requestOf(adapter, headers, BODY), ['user:s3cret']));
  });

  it('never throws reading untrusted payloads, and rejects them only with PayloadError', () => {
    const request = requestOf(adapter, {}, BODY);
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...EVENT_NAMES[provider]), (payload, eventName) => {
        adapter.deliveryId(request, payload);
        adapter.eventName(request, payload);
        adapter.repositoryOf(payload);
        try {
          expect(Array.isArray(adapter.normalize(eventName, payload))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(PayloadError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('ignores an event type it does not act on', () => {
    expect(adapter.normalize('some:future_event', {})).toEqual([]);
  });
});
