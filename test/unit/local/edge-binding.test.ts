import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsJsonService } from '../../../local/edge/aws-json';
import { IdentityRegistry } from '../../../local/edge/identity';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { stsService } from '../../../local/edge/sts';
import { createS3Endpoint, S3Store } from '../../../local/s3';
import {
  PROOF_AUDIENCE_HEADER,
  PROOF_AUDIENCE_PARAM,
  PROOF_NONCE_HEADER,
  PROOF_NONCE_PARAM,
  REQUEST_DIGEST_HEADER,
  requestDigest,
  StsCallerVerifier,
  signCallerProof,
} from '../../../shared/operators/caller-proof';

const REGION = 'us-east-1';
const ALICE = 'arn:aws:iam::000000000000:user/alice';
const SLACK_SECRET = 'the-slack-signing-secret';
const AUDIENCE = 'http://127.0.0.1:4000/';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A Secrets Manager and a Step Functions that record what reached them. */
const reached: string[] = [];
const secrets: AwsJsonService = {
  name: 'Secrets Manager',
  targetPrefix: 'secretsmanager',
  signingName: 'secretsmanager',
  errorNamespace: 'com.amazonaws.secretsmanager',
  handle: async (operation) => {
    reached.push(`secretsmanager.${operation}`);
    return { SecretString: SLACK_SECRET };
  },
};
const states: AwsJsonService = {
  name: 'Step Functions',
  targetPrefix: 'AWSStepFunctions',
  signingName: 'states',
  errorNamespace: 'com.amazonaws.sfn',
  handle: async (operation) => {
    reached.push(`AWSStepFunctions.${operation}`);
    return {};
  },
};

let edge: RunningEdge;
let dataDir: string;
let alice: { accessKeyId: string; secretAccessKey: string };
const refusals: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gantry-edge-binding-'));
  const identity = new IdentityRegistry('a-session-token-of-length');
  alice = identity.issueFor(ALICE);
  const store = new S3Store({ buckets: ['artifacts'], dataDir });
  await store.putObject('artifacts', 'p.zip', 'package bytes');
  const s3 = createS3Endpoint(store, { region: REGION });
  edge = await startEdge({
    port: 0,
    identity,
    region: REGION,
    services: [secrets, states],
    onRefusal: (line) => refusals.push(line),
  });
  edge.attach(
    { rest: stsService() },
    {
      fallback: (req, res, url) => {
        if (!s3.accepts(req, url)) return false;
        void s3.handle(req, res, url);
        return true;
      },
    },
  );
});
afterAll(async () => {
  await edge.close();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  reached.length = 0;
});

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Sends exactly these bytes (fetch refuses a GET with a body; an attacker's client does not). */
function send(method: string, path: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  const url = new URL(path, edge.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        method,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const host = () => new URL(edge.endpoint).host;
const secretRead = JSON.stringify({ SecretId: 'gantry/notifications/slack' });

/** Signs a request with alice's keys as `scope` says, signing exactly `signed` (plus what SigV4 adds). */
async function headerSigned(options: {
  readonly service: string;
  readonly region?: string;
  readonly method?: string;
  readonly signed: Record<string, string>;
  readonly body?: string;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: alice,
    region: options.region ?? REGION,
    service: options.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const out = await signer.sign({
    method: options.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: '/',
    query: {},
    headers: options.signed,
    body: options.body ?? '',
  });
  return out.headers as Record<string, string>;
}

/** A caller proof as `gantry --as` makes it for the local operator API: a presigned sts:GetCallerIdentity. */
function callerProof(): Promise<string> {
  return signCallerProof({
    credentials: alice,
    region: REGION,
    stsEndpoint: edge.endpoint,
    audience: AUDIENCE,
    method: 'POST',
    path: '/runs/r-1/decision',
    body: '{}',
  });
}

/** A proof as the operator API's verifier sends it to STS (and as anyone who saw it may): its nonce and audience as headers. */
function asVerifierSends(proof: string): { query: string; headers: Record<string, string> } {
  const query = new URLSearchParams(proof);
  const headers = {
    [REQUEST_DIGEST_HEADER]: requestDigest('POST', '/runs/r-1/decision', '{}'),
    [PROOF_NONCE_HEADER]: query.get(PROOF_NONCE_PARAM) ?? '',
    [PROOF_AUDIENCE_HEADER]: query.get(PROOF_AUDIENCE_PARAM) ?? '',
  };
  query.delete(PROOF_NONCE_PARAM);
  query.delete(PROOF_AUDIENCE_PARAM);
  return { query: query.toString(), headers };
}

/** An S3 GetObject presigned as the SDK presigns it. */
async function presignedGet(key: string): Promise<string> {
  const signer = new SignatureV4({
    credentials: alice,
    region: REGION,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: `/artifacts/${key}`,
      query: {},
      headers: { host: host(), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    {
      expiresIn: 300,
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
    },
  );
  return `/artifacts/${key}?${new URLSearchParams(presigned.query as Record<string, string>).toString()}`;
}

describe('the edge: a presigned URL authorizes only what it was presigned for', () => {
  it.each([
    ['secretsmanager.GetSecretValue', 'secretsmanager.GetSecretValue'],
    ['AWSStepFunctions.SendTaskSuccess', 'AWSStepFunctions.SendTaskSuccess'],
  ])('refuses a caller proof replayed with X-Amz-Target %s and a JSON body', async (target, call) => {
    const { query, headers } = asVerifierSends(await callerProof());
    for (const method of ['GET', 'POST']) {
      const out = await send(
        method,
        `/?${query}`,
        { ...headers, 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
        secretRead,
      );
      expect(out.status).toBeGreaterThanOrEqual(400);
      expect(out.text).not.toContain(SLACK_SECRET);
    }
    expect(reached).not.toContain(call);
  });

  it('refuses an S3 presigned URL replayed as a Secrets Manager call', async () => {
    const url = await presignedGet('p.zip');
    for (const method of ['GET', 'POST']) {
      const out = await send(
        method,
        url,
        { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
        secretRead,
      );
      // A GET is no JSON-protocol call at all; a POST is refused for what its signature does not cover.
      expect(out.status).toBe(method === 'GET' ? 400 : 403);
      expect(out.text).not.toContain(SLACK_SECRET);
    }
    expect(reached).toEqual([]);
  });

  it('refuses an S3 presigned URL sent with a body or with another method', async () => {
    const url = await presignedGet('p.zip');
    const put = await send('PUT', url, {}, 'replaced package');
    expect(put.status).toBe(403);
    expect(put.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    const withBody = await send('GET', url, {}, 'a body the signature does not cover');
    expect(withBody.status).toBe(403);
  });

  it('still serves the presigned S3 GET and verifies the caller proof as STS', async () => {
    const out = await send('GET', await presignedGet('p.zip'), {});
    expect(out).toEqual({ status: 200, text: 'package bytes' });
    const verifier = new StsCallerVerifier(edge.endpoint, AUDIENCE);
    await expect(
      verifier.verify(await callerProof(), requestDigest('POST', '/runs/r-1/decision', '{}')),
    ).resolves.toEqual({ ok: true, principal: ALICE });
  });
});

describe('the edge: a header signature must cover the host, the operation and the body, for this service', () => {
  const json = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' };

  it('refuses a signature that leaves the host unsigned (SignedHeaders=x-amz-date;…)', async () => {
    const headers = await headerSigned({ service: 'secretsmanager', signed: { ...json }, body: secretRead });
    expect(headers.authorization).not.toMatch(/SignedHeaders=[^,]*host/);
    const out = await send('POST', '/', headers, secretRead);
    expect(out.status).toBe(403);
    expect(JSON.parse(out.text)).toMatchObject({ message: expect.stringMatching(/Host.*SignedHeader/i) });
    expect(reached).toEqual([]);
  });

  it('refuses a signature of x-amz-date alone, the target and body sent beside it', async () => {
    const headers = await headerSigned({ service: 'secretsmanager', signed: {}, body: secretRead });
    expect(headers.authorization).toContain('SignedHeaders=x-amz-date,');
    const out = await send('POST', '/', { ...headers, ...json }, secretRead);
    expect(out.status).toBe(403);
    expect(reached).toEqual([]);
  });

  it('refuses X-Amz-Target left out of the signature', async () => {
    const headers = await headerSigned({
      service: 'secretsmanager',
      signed: { host: host(), 'content-type': 'application/x-amz-json-1.1' },
      body: secretRead,
    });
    const out = await send('POST', '/', { ...headers, 'x-amz-target': 'secretsmanager.GetSecretValue' }, secretRead);
    expect(out.status).toBe(403);
    expect(JSON.parse(out.text)).toMatchObject({
      __type: 'json#InvalidSignatureException',
      message: expect.stringContaining('X-Amz-Target'),
    });
    expect(reached).toEqual([]);
  });

  it('refuses an s3-scoped UNSIGNED-PAYLOAD signature on a Secrets Manager call', async () => {
    const headers = await headerSigned({
      service: 's3',
      signed: { host: host(), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const out = await send('POST', '/', { ...headers, ...json }, secretRead);
    expect(out.status).toBe(403);
    expect(out.text).not.toContain(SLACK_SECRET);
    expect(reached).toEqual([]);
  });

  it('refuses UNSIGNED-PAYLOAD on a Secrets Manager call even when scoped to secretsmanager', async () => {
    const headers = await headerSigned({
      service: 'secretsmanager',
      signed: { host: host(), ...json, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const out = await send('POST', '/', headers, secretRead);
    expect(out.status).toBe(403);
    expect(reached).toEqual([]);
  });

  it.each([
    ['a service the edge does not serve there', 'foo', REGION, /scoped to correct service: 'secretsmanager'/],
    ['another service it serves', 'states', REGION, /scoped to correct service: 'secretsmanager'/],
    ['a region it does not serve', 'secretsmanager', 'eu-west-9', /region/],
  ])('refuses a signature scoped to %s', async (_what, service, region, message) => {
    const headers = await headerSigned({ service, region, signed: { host: host(), ...json }, body: secretRead });
    const out = await send('POST', '/', headers, secretRead);
    expect(out.status).toBe(403);
    expect(JSON.parse(out.text)).toMatchObject({ __type: 'json#InvalidSignatureException', message });
    expect(reached).toEqual([]);
  });

  it('refuses an S3 request signed for another service with S3’s SignatureDoesNotMatch', async () => {
    const headers = await headerSigned({
      service: 'secretsmanager',
      method: 'GET',
      signed: { host: host(), 'x-amz-content-sha256': EMPTY_SHA256 },
    });
    const out = await send('GET', '/', headers);
    expect(out.status).toBe(403);
    expect(out.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses a JSON-protocol call that is not a POST', async () => {
    const headers = await headerSigned({ service: 'secretsmanager', method: 'GET', signed: { host: host(), ...json } });
    const out = await send('GET', '/', headers);
    expect(out.status).toBeGreaterThanOrEqual(400);
    expect(reached).toEqual([]);
  });

  it('still serves the SDK clients as they sign', async () => {
    const client = new SecretsManagerClient({ endpoint: edge.endpoint, region: REGION, credentials: alice });
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'x' }))).resolves.toMatchObject({
      SecretString: SLACK_SECRET,
    });
    const s3 = new S3Client({ endpoint: edge.endpoint, region: REGION, credentials: alice, forcePathStyle: true });
    const object = await s3.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'p.zip' }));
    expect(await object.Body?.transformToString()).toBe('package bytes');
  });

  it('says in the terminal why a request was refused', () => {
    expect(refusals.some((line) => /scoped to correct service/.test(line))).toBe(true);
  });
});
