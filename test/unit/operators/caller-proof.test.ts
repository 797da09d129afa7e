import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { IdentityRegistry } from '../../../local/edge/identity';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { stsService } from '../../../local/edge/sts';
import type { OperatorDeps } from '../../../shared/operators/actions';
import {
  CALLER_PROOF_HEADER,
  type CallerVerifier,
  OnceCallerVerifier,
  operatorAudience,
  PROOF_AUDIENCE_PARAM,
  PROOF_NONCE_PARAM,
  REQUEST_DIGEST_HEADER,
  requestDigest,
  StsCallerVerifier,
  signCallerProof,
  stsEndpointFor,
  type UsedProofs,
} from '../../../shared/operators/caller-proof';
import { answerOperatorRequest } from '../../../shared/operators/operator-api';
import { MemoryAudit } from '../../support/receiver-fakes';

const ALICE = 'arn:aws:iam::000000000000:user/alice';
const MALLORY = 'arn:aws:iam::000000000000:user/mallory';
const REGION = 'eu-west-1';
const alice = { accessKeyId: 'LKIAALICE0000001', secretAccessKey: 'alice-secret-alice-secret' };
const mallory = { accessKeyId: 'LKIAMALLORY00001', secretAccessKey: 'mallory-secret-mallory-secret' };
const APPROVE = JSON.stringify({ decision: 'approve', reason: 'looks good' });
/** The operator API these tests stand for, as its function is configured. */
const API = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/';

/** STS, played by the local edge: it verifies SigV4 against the keys it issued, as STS does. */
let edge: RunningEdge;
let audit: MemoryAudit;
let deps: OperatorDeps;
let callers: StsCallerVerifier;

beforeAll(async () => {
  const identity = new IdentityRegistry('a-session-token-of-length');
  identity.register(alice.accessKeyId, alice.secretAccessKey, { kind: 'user', arn: ALICE });
  identity.register(mallory.accessKeyId, mallory.secretAccessKey, { kind: 'user', arn: MALLORY });
  edge = await startEdge({ port: 0, identity, services: [], region: REGION });
  edge.attach({ rest: stsService() });
  callers = new StsCallerVerifier(edge.endpoint, API);
});
afterAll(() => edge.close());
beforeEach(() => {
  audit = new MemoryAudit();
  const log = () => undefined;
  deps = {
    audit,
    runs: { get: async () => undefined },
    logger: { info: log, warn: log, error: log },
    clock: () => new Date(),
  } as unknown as OperatorDeps;
});

/** Used proofs in memory, claimed as the deliveries table's conditional put claims them. */
class MemoryUsedProofs implements UsedProofs {
  readonly claimed = new Map<string, number>();
  async claim(proofId: string, expiresAt: number): Promise<boolean> {
    if (this.claimed.has(proofId)) return false;
    this.claimed.set(proofId, expiresAt);
    return true;
  }
}

/** A direct invocation of the function (as `lambda:InvokeFunction` allows), its event written by hand. */
function event(options: { runId?: string; body?: string; claimed?: string; proof?: string }): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/runs/{runId}/decision',
    path: `/runs/${options.runId ?? 'r-1'}/decision`,
    pathParameters: { runId: options.runId ?? 'r-1' },
    headers: options.proof === undefined ? {} : { [CALLER_PROOF_HEADER]: options.proof },
    body: options.body ?? APPROVE,
    isBase64Encoded: false,
    requestContext: { identity: { userArn: options.claimed ?? null } },
  } as unknown as APIGatewayProxyEvent;
}

const proof = (
  credentials = alice,
  over: {
    path?: string;
    body?: string;
    stsEndpoint?: string;
    audience?: string;
    expiresIn?: number;
    signingDate?: Date;
  } = {},
) =>
  signCallerProof({
    credentials,
    region: REGION,
    stsEndpoint: over.stsEndpoint ?? edge.endpoint,
    audience: over.audience ?? API,
    method: 'POST',
    path: over.path ?? '/runs/r-1/decision',
    body: over.body ?? APPROVE,
    ...(over.expiresIn === undefined ? {} : { expiresIn: over.expiresIn }),
    ...(over.signingDate === undefined ? {} : { signingDate: over.signingDate }),
  });

/** A GetCallerIdentity query alice presigned for the edge by hand, signing `headers` besides host. */
async function presignedByAlice(headers: Record<string, string>): Promise<URLSearchParams> {
  const url = new URL(edge.endpoint);
  const signer = new SignatureV4({ credentials: alice, region: REGION, service: 'sts', sha256: Sha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host, ...headers },
    },
    { expiresIn: 60 },
  );
  return new URLSearchParams(presigned.query as Record<string, string>);
}

async function refused(e: APIGatewayProxyEvent, status: number, code: string, verifier: CallerVerifier = callers) {
  const out = await answerOperatorRequest(deps, e, verifier);
  expect({ status: out.statusCode, code: JSON.parse(out.body).error?.code }).toEqual({ status, code });
  expect(JSON.parse(out.body).error.message).toEqual(expect.any(String));
  expect(audit.records).toEqual([
    expect.objectContaining({
      type: 'operator.refused',
      outcome: 'rejected',
      details: expect.objectContaining({ action: 'authenticate', code }),
    }),
  ]);
  return out;
}

describe('answerOperatorRequest: who the caller is', () => {
  it('refuses a hand-made requestContext with no proof (401), and records it', async () => {
    const out = await refused(event({ claimed: ALICE }), 401, 'no_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain(CALLER_PROOF_HEADER);
    // The ARN the request names is its word only: kept as claimed, never recorded as the actor.
    expect(audit.records[0]).toMatchObject({
      actor: { type: 'user', id: 'unproven', providerIdentity: null },
      details: { principal: `unproven (claimed ${ALICE})` },
    });
  });

  it('refuses a requestContext naming alice with a valid proof of mallory', async () => {
    await refused(event({ claimed: ALICE, proof: await proof(mallory) }), 403, 'caller_mismatch');
  });

  it('refuses a proof signed for another body (reject captured, approve replayed)', async () => {
    const p = await proof(alice, { body: JSON.stringify({ decision: 'reject', reason: 'no' }) });
    await refused(event({ claimed: ALICE, proof: p }), 403, 'caller_proof_refused');
  });

  it('refuses a proof signed for another run (path)', async () => {
    const p = await proof(alice, { path: '/runs/r-2/decision' });
    await refused(event({ claimed: ALICE, proof: p }), 403, 'caller_proof_refused');
  });

  it('refuses an expired proof', async () => {
    const p = await proof(alice, { signingDate: new Date(Date.now() - 10 * 60_000), expiresIn: 60 });
    const out = await refused(event({ claimed: ALICE, proof: p }), 403, 'bad_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain('expired');
  });

  it('refuses a proof that would live longer than five minutes', async () => {
    await refused(event({ claimed: ALICE, proof: await proof(alice, { expiresIn: 3600 }) }), 403, 'bad_caller_proof');
  });

  it('refuses a proof signed for another STS host: the function sends it to its own STS, never the caller’s', async () => {
    const p = await proof(alice, { stsEndpoint: 'https://sts.attacker.example' });
    await refused(event({ claimed: ALICE, proof: p }), 403, 'caller_proof_refused');
  });

  it('refuses a proof signed for another operator API (a look-alike URL it was sent to) without asking STS', async () => {
    const asked: string[] = [];
    const counting = new StsCallerVerifier(edge.endpoint, API, async (url, init) => {
      asked.push(String(url));
      return fetch(url, init);
    });
    const p = await proof(alice, { audience: 'https://gantry-operators.example.net/v1/' });
    const out = await refused(event({ claimed: ALICE, proof: p }), 403, 'caller_proof_wrong_api', counting);
    expect(JSON.parse(out.body).error.message).toContain('https://gantry-operators.example.net/v1/');
    expect(JSON.parse(out.body).error.message).toContain(API);
    expect(asked).toEqual([]);
  });

  it('accepts a proof for a custom domain the config lists for this API, and still refuses any other', async () => {
    const custom = 'https://gantry.example.com/ops/';
    const withDomain = new StsCallerVerifier(edge.endpoint, [API, custom]);
    const p = await proof(alice, { audience: custom });
    const out = await answerOperatorRequest(deps, event({ claimed: ALICE, proof: p }), withDomain);
    // Past authentication: the decision itself is refused (no such run), attributed to alice.
    expect(JSON.parse(out.body).error.code).toBe('run_not_found');
    audit = new MemoryAudit();
    deps = { ...deps, audit } as OperatorDeps;
    const elsewhere = await proof(alice, { audience: 'https://gantry.example.net/ops/' });
    await refused(event({ claimed: ALICE, proof: elsewhere }), 403, 'caller_proof_wrong_api', withDomain);
  });

  it('refuses a proof signed for another operator API whose audience was rewritten to this one (STS’s check)', async () => {
    const p = new URLSearchParams(await proof(alice, { audience: 'https://gantry-operators.example.net/v1/' }));
    p.set(PROOF_AUDIENCE_PARAM, API);
    await refused(event({ claimed: ALICE, proof: p.toString() }), 403, 'caller_proof_refused');
  });

  it('refuses a proof that carries this API as its audience without signing it (one signed before audiences)', async () => {
    const nonce = 'ab'.repeat(16);
    const p = await presignedByAlice({
      [REQUEST_DIGEST_HEADER]: requestDigest('POST', '/runs/r-1/decision', APPROVE),
      'x-gantry-proof-nonce': nonce,
    });
    p.set(PROOF_NONCE_PARAM, nonce);
    p.set(PROOF_AUDIENCE_PARAM, API);
    const out = await refused(event({ claimed: ALICE, proof: p.toString() }), 403, 'bad_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain('x-gantry-proof-audience');
  });

  it('repeats a look-alike audience in its refusal only when it is plain printable text', async () => {
    const p = await proof(alice, { audience: 'https://x\u202e/\u2028"<script>/v1/' });
    const out = await refused(event({ claimed: ALICE, proof: p }), 403, 'caller_proof_wrong_api');
    const message = JSON.parse(out.body).error.message as string;
    expect(message).toContain('an unreadable URL');
    expect(message).not.toMatch(/[\u202e\u2028]/);
  });

  it('refuses a proof that names no operator API', async () => {
    const p = new URLSearchParams(await proof(alice));
    p.delete(PROOF_AUDIENCE_PARAM);
    const out = await refused(event({ claimed: ALICE, proof: p.toString() }), 403, 'bad_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain(PROOF_AUDIENCE_PARAM);
  });

  it('refuses a proof that does not sign the request digest (a bare GetCallerIdentity presign)', async () => {
    const p = (await presignedByAlice({})).toString();
    const out = await refused(event({ claimed: ALICE, proof: p }), 403, 'bad_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain(REQUEST_DIGEST_HEADER);
  });

  it('refuses a proof signed with keys STS never issued', async () => {
    const p = await proof({ accessKeyId: 'LKIAFORGED000001', secretAccessKey: 'guessed' });
    await refused(event({ claimed: ALICE, proof: p }), 403, 'caller_proof_refused');
  });

  it('refuses a proof that adds parameters of its own', async () => {
    const p = `${await proof(alice)}&Arn=${encodeURIComponent(ALICE)}`;
    await refused(event({ claimed: ALICE, proof: p }), 403, 'bad_caller_proof');
  });

  it('accepts a real signed proof and acts as the principal STS names, with or without the authorizer', async () => {
    for (const claimed of [ALICE, undefined]) {
      audit = new MemoryAudit();
      deps = { ...deps, audit } as OperatorDeps;
      const out = await answerOperatorRequest(
        deps,
        event({ ...(claimed ? { claimed } : {}), proof: await proof(alice) }),
        callers,
      );
      // Past authentication: the decision itself is refused (no such run), attributed to alice.
      expect(JSON.parse(out.body).error.code).toBe('run_not_found');
      expect(audit.records).toEqual([
        expect.objectContaining({
          actor: expect.objectContaining({ id: ALICE }),
          details: expect.objectContaining({ action: 'approve', principal: ALICE }),
        }),
      ]);
    }
  });

  it('refuses a proof sent a second time, even for the very request it signs (captured and replayed)', async () => {
    const used = new MemoryUsedProofs();
    const once = new OnceCallerVerifier(callers, used);
    const p = await proof(alice);
    const first = await answerOperatorRequest(deps, event({ claimed: ALICE, proof: p }), once);
    expect(JSON.parse(first.body).error.code).toBe('run_not_found'); // past authentication, as alice
    audit = new MemoryAudit();
    deps = { ...deps, audit } as OperatorDeps;
    const out = await answerOperatorRequest(deps, event({ claimed: ALICE, proof: p }), once);
    expect({ status: out.statusCode, code: JSON.parse(out.body).error.code }).toEqual({
      status: 403,
      code: 'caller_proof_replayed',
    });
    expect(audit.records).toEqual([
      expect.objectContaining({
        type: 'operator.refused',
        actor: expect.objectContaining({ id: 'unproven' }),
        details: expect.objectContaining({ action: 'authenticate', code: 'caller_proof_replayed' }),
      }),
    ]);
    // Kept until the proof's own expiry, past which it is refused as expired anyway.
    const [expiresAt] = [...used.claimed.values()];
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 61_000);
  });

  it('tells two proofs of the same request signed in the same second apart (each signs its own nonce)', async () => {
    const once = new OnceCallerVerifier(callers, new MemoryUsedProofs());
    const signingDate = new Date();
    const [a, b] = [await proof(alice, { signingDate }), await proof(alice, { signingDate })];
    expect(a).not.toBe(b);
    for (const p of [a, b])
      await expect(once.verify(p, requestDigest('POST', '/runs/r-1/decision', APPROVE))).resolves.toEqual({
        ok: true,
        principal: ALICE,
      });
  });

  it('refuses a proof whose nonce was changed to pass it off as a new one: the signature covers it', async () => {
    const p = new URLSearchParams(await proof(alice));
    p.set(PROOF_NONCE_PARAM, '0'.repeat(32));
    await refused(event({ claimed: ALICE, proof: p.toString() }), 403, 'caller_proof_refused');
  });

  it('claims only proofs STS accepted: a forged one uses up nothing', async () => {
    const used = new MemoryUsedProofs();
    const once = new OnceCallerVerifier(callers, used);
    const forged = await proof({ accessKeyId: 'LKIAFORGED000001', secretAccessKey: 'guessed' });
    await expect(once.verify(forged, requestDigest('POST', '/runs/r-1/decision', APPROVE))).resolves.toMatchObject({
      ok: false,
      code: 'caller_proof_refused',
    });
    expect(used.claimed.size).toBe(0);
  });

  it('does not spend a proof of alice sent under mallory’s authorization: alice can still use it', async () => {
    const used = new MemoryUsedProofs();
    const once = new OnceCallerVerifier(callers, used);
    const p = await proof(alice);
    const stolen = await answerOperatorRequest(deps, event({ claimed: MALLORY, proof: p }), once);
    expect(JSON.parse(stolen.body).error.code).toBe('caller_mismatch');
    expect(used.claimed.size).toBe(0);
    const own = await answerOperatorRequest(deps, event({ claimed: ALICE, proof: p }), once);
    expect(JSON.parse(own.body).error.code).toBe('run_not_found'); // authenticated as alice
  });

  it('refuses to act when the proof cannot be recorded as used (503), and records why', async () => {
    const down: UsedProofs = {
      claim: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    };
    const out = await refused(
      event({ claimed: ALICE, proof: await proof(alice) }),
      503,
      'caller_proof_unrecorded',
      new OnceCallerVerifier(callers, down),
    );
    expect(JSON.parse(out.body).error.message).toContain('ThrottlingException');
  });

  it('refuses a proof without a nonce, or with its signature spelled in capitals', async () => {
    const bare = new URLSearchParams(await proof(alice));
    bare.delete(PROOF_NONCE_PARAM);
    let out = await refused(event({ claimed: ALICE, proof: bare.toString() }), 403, 'bad_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain(PROOF_NONCE_PARAM);
    audit = new MemoryAudit();
    deps = { ...deps, audit } as OperatorDeps;
    const shouted = new URLSearchParams(await proof(alice));
    shouted.set('X-Amz-Signature', (shouted.get('X-Amz-Signature') ?? '').toUpperCase());
    out = await refused(event({ claimed: ALICE, proof: shouted.toString() }), 403, 'bad_caller_proof');
    expect(JSON.parse(out.body).error.message).toContain('X-Amz-Signature');
  });

  it('binds the digest to method, path, query and body', () => {
    const d = requestDigest('POST', '/runs/r-1/decision', APPROVE);
    expect(requestDigest('post', '/runs/r-1/decision', APPROVE)).toBe(d);
    expect(requestDigest('POST', '/runs/r-1/decision', APPROVE, {})).toBe(d);
    const q = requestDigest('GET', '/runs', '', { status: 'FAILED', limit: '5' });
    expect(requestDigest('GET', '/runs', '', { limit: '5', status: 'FAILED' })).toBe(q);
    expect(requestDigest('GET', '/runs', '', { limit: '5', status: 'SUCCEEDED' })).not.toBe(q);
    expect(requestDigest('GET', '/runs', '')).not.toBe(q);
    expect(requestDigest('POST', '/runs/r-1/cancel', APPROVE)).not.toBe(d);
    expect(requestDigest('POST', '/runs/r-1/decision', `${APPROVE} `)).not.toBe(d);
  });
});

describe('stsEndpointFor', () => {
  it('names STS in the region’s own partition, where a proof signed there is checked', () => {
    expect(stsEndpointFor('eu-west-1')).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsEndpointFor('us-gov-west-1')).toBe('https://sts.us-gov-west-1.amazonaws.com');
    expect(stsEndpointFor('cn-north-1')).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(stsEndpointFor('us-iso-east-1')).toBe('https://sts.us-iso-east-1.c2s.ic.gov');
    expect(stsEndpointFor('us-isob-east-1')).toBe('https://sts.us-isob-east-1.sc2s.sgov.gov');
  });
});

describe('operatorAudience', () => {
  it('spells one API one way, whichever way its URL was written, and two APIs two ways', () => {
    for (const written of [
      'https://ABC123DEFG.execute-api.eu-west-1.amazonaws.com/v1',
      'https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/',
      'https://abc123defg.execute-api.eu-west-1.amazonaws.com:443/v1/?x=1#y',
    ])
      expect(operatorAudience(written)).toBe(API);
    expect(operatorAudience('https://abc123defg.execute-api.eu-west-1.amazonaws.com/v2/')).not.toBe(API);
    expect(operatorAudience('http://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/')).not.toBe(API);
    expect(() => operatorAudience('not a url')).toThrow();
  });
});

describe('answerOperatorRequest: reading runs', () => {
  const run = {
    runId: 'r-1',
    pipeline: 'widgets',
    laneToken: 'LANE-TOKEN-SECRET',
    approval: { taskToken: 'APPROVAL-TOKEN-SECRET', deadline: '2099-01-01T00:00:00Z' },
    deployment: { taskToken: 'DEPLOY-TOKEN-SECRET', id: 'd-1' },
  };
  const queries: unknown[] = [];
  const read = async (
    resource: string,
    options: { query?: Record<string, string>; signedQuery?: Record<string, string>; signed?: boolean } = {},
  ) => {
    deps = {
      ...deps,
      runs: {
        get: async (id: string) => (id === 'r-1' ? run : undefined),
        list: async (q: unknown) => {
          queries.push(q);
          return [run];
        },
      },
    } as unknown as OperatorDeps;
    const path = resource.replace('{runId}', 'r-1');
    const p = await signCallerProof({
      credentials: alice,
      region: REGION,
      stsEndpoint: edge.endpoint,
      audience: API,
      method: 'GET',
      path,
      body: '',
      query: options.signedQuery ?? options.query ?? null,
    });
    return answerOperatorRequest(
      deps,
      {
        httpMethod: 'GET',
        resource,
        path,
        pathParameters: resource.includes('{runId}') ? { runId: 'r-1' } : null,
        queryStringParameters: options.query ?? null,
        headers: options.signed === false ? {} : { [CALLER_PROOF_HEADER]: p },
        body: null,
        isBase64Encoded: false,
        requestContext: { identity: { userArn: ALICE } },
      } as unknown as APIGatewayProxyEvent,
      callers,
    );
  };

  it('shows one run and lists runs without any task token', async () => {
    for (const out of [await read('/runs/{runId}'), await read('/runs', { query: { pipeline: 'widgets' } })]) {
      expect(out.statusCode).toBe(200);
      expect(out.body).toContain('r-1');
      expect(out.body).not.toContain('TOKEN-SECRET');
      expect(out.body).not.toContain('taskToken');
      expect(out.body).not.toContain('laneToken');
    }
    expect(queries.at(-1)).toEqual({ pipeline: 'widgets', limit: 20 });
  });

  it('refuses a read without a caller proof, and a query it does not know', async () => {
    expect((await read('/runs/{runId}', { signed: false })).statusCode).toBe(401);
    expect((await read('/runs', { query: { status: 'NOPE' } })).statusCode).toBe(400);
    expect((await read('/runs', { query: { limit: '5000' } })).statusCode).toBe(400);
  });

  it('refuses a proof signed for another query (one filter captured, another read)', async () => {
    const out = await read('/runs', { query: { status: 'SUCCEEDED' }, signedQuery: { status: 'FAILED' } });
    expect(out.statusCode).toBe(403);
    expect(JSON.parse(out.body).error.code).toBe('caller_proof_refused');
    expect((await read('/runs', { query: { status: 'FAILED' } })).statusCode).toBe(200);
  });
});
