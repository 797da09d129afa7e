import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { IdentityRegistry, refusalCode } from '../../../local/edge/identity';

const TOKEN = 'session-token-0123456789abcdef';
const OPERATOR = { accessKeyId: 'AKIDOPERATOR0001', secretAccessKey: 'operator-secret' };

function registry(): IdentityRegistry {
  const ids = new IdentityRegistry(TOKEN);
  ids.register(OPERATOR.accessKeyId, OPERATOR.secretAccessKey, { kind: 'operator' });
  ids.register('local', 'local', { kind: 'internal' });
  return ids;
}

/** Signs a request as the SDK does, and gives it back in the shape the edge sees. */
async function signed(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  options: { service?: string; path?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const service = options.service ?? 'events';
  const body = options.body ?? '{"Limit":1}';
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service, sha256: Sha256 });
  const out = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4566,
    path: options.path ?? '/',
    query: {},
    headers: {
      host: '127.0.0.1:4566',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.ListEventBuses',
      ...options.headers,
    },
    body,
  });
  const headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const served = { service, region: 'us-east-1' };
  return { method: 'POST', url: options.path ?? '/', headers, body: Buffer.from(body), served };
}

/** An S3 GET presigned with the operator's keys as the SDK presigns it, as it reaches the edge. */
async function presignedGet(
  path: string,
  query: Record<string, string>,
  expiresIn: number,
  signingDate = new Date(),
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = OPERATOR,
) {
  const signer = new SignatureV4({
    credentials,
    region: 'us-east-1',
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4566,
      path,
      query,
      headers: { host: '127.0.0.1:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    {
      expiresIn,
      signingDate,
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
    },
  );
  const search = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const served = { service: 's3', region: 'us-east-1' };
  return { method: 'GET', url: `${path}?${search}`, headers: { host: '127.0.0.1:4566' }, served };
}

describe('IdentityRegistry.authenticate', () => {
  it('accepts a request signed with the operator credentials as the operator', async () => {
    const out = await registry().authenticate(await signed(OPERATOR));
    expect(out).toEqual({ ok: true, principal: { kind: 'operator' }, accessKeyId: OPERATOR.accessKeyId });
  });

  it('accepts the shared function credentials as internal', async () => {
    const out = await registry().authenticate(await signed({ accessKeyId: 'local', secretAccessKey: 'local' }));
    expect(out).toMatchObject({ ok: true, principal: { kind: 'internal' } });
  });

  it('refuses a request signed with keys it never issued', async () => {
    const out = await registry().authenticate(await signed({ accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' }));
    expect(out).toMatchObject({ ok: false, failure: 'unknown-key' });
    expect(refusalCode('unknown-key', 'json')).toBe('UnrecognizedClientException');
    expect(refusalCode('unknown-key', 's3')).toBe('InvalidAccessKeyId');
  });

  it('refuses a known access key signed with another secret', async () => {
    const out = await registry().authenticate(
      await signed({ accessKeyId: OPERATOR.accessKeyId, secretAccessKey: 'guessed' }),
    );
    expect(out).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses a body changed after signing', async () => {
    const request = await signed(OPERATOR);
    const out = await registry().authenticate({ ...request, body: Buffer.from('{"Limit":100}') });
    expect(out).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses a signed header changed after signing', async () => {
    const request = await signed(OPERATOR);
    const out = await registry().authenticate({
      ...request,
      headers: { ...request.headers, 'x-amz-target': 'AWSEvents.PutEvents' },
    });
    expect(out).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses a tampered signature', async () => {
    const request = await signed(OPERATOR);
    const auth = String(request.headers.authorization);
    const flipped = auth.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
    const out = await registry().authenticate({ ...request, headers: { ...request.headers, authorization: flipped } });
    expect(out).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses an S3 body that does not match its signed x-amz-content-sha256', async () => {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update('original').digest('hex');
    const request = await signed(OPERATOR, {
      service: 's3',
      path: '/bucket/key',
      body: 'original',
      headers: { 'x-amz-content-sha256': hash },
    });
    expect(await registry().authenticate(request)).toMatchObject({ ok: true });
    const out = await registry().authenticate({ ...request, body: Buffer.from('tampered') });
    expect(out).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses a signature dated more than 15 minutes away', async () => {
    const ids = new IdentityRegistry(TOKEN, () => Date.now() + 20 * 60_000);
    ids.register(OPERATOR.accessKeyId, OPERATOR.secretAccessKey, { kind: 'operator' });
    expect(await ids.authenticate(await signed(OPERATOR))).toMatchObject({ ok: false, failure: 'expired' });
  });

  it('accepts a presigned S3 URL and refuses it once a query parameter is changed', async () => {
    const request = await presignedGet('/bucket/a%20key', { 'x-id': 'GetObject' }, 300);
    expect(await registry().authenticate(request)).toMatchObject({ ok: true, principal: { kind: 'operator' } });
    const changed = { ...request, url: request.url.replace('x-id=GetObject', 'x-id=DeleteObject') };
    expect(await registry().authenticate(changed)).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses a JSON-protocol request whose signature leaves its body out (UNSIGNED-PAYLOAD is S3’s alone)', async () => {
    const unsigned = await signed(OPERATOR, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(await registry().authenticate(unsigned)).toMatchObject({ ok: false, failure: 'bad-signature' });
    // The same request with any body then passes nowhere: the body is what AWS hashes.
    const swapped = { ...unsigned, body: Buffer.from('{"Limit":100}') };
    expect(await registry().authenticate(swapped)).toMatchObject({ ok: false, failure: 'bad-signature' });
  });

  it('refuses a presigned URL that would live longer than seven days, or is dated ahead of the clock', async () => {
    const presign = (expiresIn: number, signingDate = new Date()) =>
      presignedGet('/bucket/key', {}, expiresIn, signingDate);
    expect(await registry().authenticate(await presign(3600))).toMatchObject({ ok: true });
    // The SDK refuses to presign beyond seven days itself: edit the parameter as a forger would.
    const forever = await presign(3600);
    const edited = { ...forever, url: forever.url.replace('X-Amz-Expires=3600', 'X-Amz-Expires=99999999') };
    expect(await registry().authenticate(edited)).toMatchObject({ ok: false });
    const ahead = await presign(3600, new Date(Date.now() + 60 * 60_000));
    expect(await registry().authenticate(ahead)).toMatchObject({ ok: false, failure: 'expired' });
  });

  it('accepts the session bearer token as the operator, and refuses another token or none', async () => {
    const ids = registry();
    const base = { method: 'GET', url: '/_gantry/health', served: { service: undefined, region: 'us-east-1' } };
    expect(await ids.authenticate({ ...base, headers: { authorization: `Bearer ${TOKEN}` } })).toMatchObject({
      ok: true,
      principal: { kind: 'operator' },
    });
    expect(await ids.authenticate({ ...base, headers: { authorization: `Bearer ${TOKEN}x` } })).toMatchObject({
      ok: false,
      failure: 'missing',
    });
    expect(await ids.authenticate({ ...base, headers: {} })).toMatchObject({ ok: false, failure: 'missing' });
  });
});

describe('IdentityRegistry.issueFor', () => {
  it('issues one key pair per identity, which authenticates as that identity and no other', async () => {
    const ids = registry();
    const alice = ids.issueFor('arn:aws:iam::000000000000:user/alice');
    const bob = ids.issueFor('arn:aws:iam::000000000000:user/bob');
    expect(ids.issueFor('arn:aws:iam::000000000000:user/alice')).toEqual(alice);
    expect(bob.accessKeyId).not.toBe(alice.accessKeyId);
    expect(await ids.authenticate(await signed(alice))).toMatchObject({
      ok: true,
      principal: { kind: 'user', arn: 'arn:aws:iam::000000000000:user/alice' },
    });
    const forged = await signed({ accessKeyId: alice.accessKeyId, secretAccessKey: bob.secretAccessKey });
    expect(await ids.authenticate(forged)).toMatchObject({ ok: false, failure: 'bad-signature' });
  });
});

describe('IdentityRegistry.issueSession', () => {
  const role = {
    kind: 'role',
    roleName: 'deploy',
    roleArn: 'arn:aws:iam::222222222222:role/deploy',
    sessionName: 'gantry-r1',
  } as const;

  it('authenticates session keys only with their session token, as the session principal', async () => {
    const ids = registry();
    const session = ids.issueSession(role, 900);
    const ok = await ids.authenticate(await signed(session));
    expect(ok).toMatchObject({ ok: true, principal: role });
    const { sessionToken: _dropped, ...keysOnly } = session;
    expect(await ids.authenticate(await signed(keysOnly))).toMatchObject({ ok: false, failure: 'unknown-key' });
    const forged = await ids.authenticate(
      await signed({ ...session, sessionToken: `${session.sessionToken.slice(1)}x` }),
    );
    expect(forged).toMatchObject({ ok: false, failure: 'unknown-key' });
  });

  it('accepts a URL presigned with session keys, whose token the URL carries and signs, and refuses another token', async () => {
    const ids = registry();
    const session = ids.issueSession(role, 900);
    const request = await presignedGet('/bucket/key', {}, 300, new Date(), session);
    expect(new URL(request.url, 'http://edge').searchParams.get('X-Amz-Security-Token')).toBe(session.sessionToken);
    expect(await ids.authenticate(request)).toMatchObject({ ok: true, principal: role });
    const swapped = request.url.replace(
      encodeURIComponent(session.sessionToken),
      encodeURIComponent(ids.issueSession(role, 900).sessionToken),
    );
    expect(swapped).not.toBe(request.url);
    expect(await ids.authenticate({ ...request, url: swapped })).toMatchObject({ ok: false });
  });

  it('refuses session keys once they expire', async () => {
    let now = Date.now() - 901_000;
    const ids = new IdentityRegistry(TOKEN, () => now);
    const session = ids.issueSession(role, 900);
    now = Date.now();
    expect(await ids.authenticate(await signed(session))).toMatchObject({
      ok: false,
      failure: 'expired',
      message: expect.stringMatching(/expired: assume the role again/),
    });
  });
});
