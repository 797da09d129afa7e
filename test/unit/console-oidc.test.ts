import { createHmac, generateKeyPairSync } from 'node:crypto';
import type { InvokeCommand } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Jwt } from 'hono/utils/jwt';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';
import type { RunPlan } from '../../events';
import { actionsFor } from '../../shared/console/actions';
import { consoleApp } from '../../shared/console/app';
import { OidcConsoleIdentity } from '../../shared/console/oidc-identity';
import type { ConsolePorts } from '../../shared/console/ports';
import { relayToOperatorApi } from '../../shared/console/relay';
import type { CallerVerifier } from '../../shared/operators/caller-proof';
import { ConsoleTokenError, type OidcSettings, OidcTokenVerifier } from '../../shared/operators/oidc';
import { answerOperatorRequest, CONSOLE_TOKEN_HEADER } from '../../shared/operators/operator-api';
import { REFUSAL_WINDOW_MS, refusalRecorder } from '../../shared/operators/refusals';
import { requestApproval } from '../../shared/pipelines/approval';
import { resolvePlan } from '../../shared/pipelines/plan';
import { actsAs } from '../../shared/pipelines/principals';
import type { RunRecord } from '../../shared/runs/model';
import { FakeDeployControl } from '../support/deploy-fakes';
import { type PipelineFakes, runsTableFixture } from '../support/pipeline-fakes';
import { DEFINITION, PEOPLE, planRequest, sourceEvent } from '../support/plans';

const ISSUER = 'https://idp.example.com/oauth2/default';
const AUDIENCE = 'gantry-console';
const JWKS_URI = 'https://idp.example.com/oauth2/default/v1/keys';
const SETTINGS: OidcSettings = { issuer: ISSUER, audience: AUDIENCE, claim: 'sub', algorithms: ['RS256'] };
const SIGN_IN = { issuer: ISSUER, clientId: AUDIENCE, scopes: ['openid'], claim: 'sub' };

function keyPair(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    public: { ...(publicKey.export({ format: 'jwk' }) as HonoJsonWebKey), kid, alg: 'RS256', use: 'sig' },
    private: { ...(privateKey.export({ format: 'jwk' }) as HonoJsonWebKey), kid, alg: 'RS256' },
  };
}
const KEY = keyPair('key-1');
const OTHER = keyPair('key-1');

const now = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: '00u-bob',
  iat: now() - 10,
  exp: now() + 600,
  ...over,
});
const token = (over: Record<string, unknown> = {}, key = KEY.private) => Jwt.sign(claims(over), key);

/** The IdP as the function reaches it: discovery and JWKS, counting requests. */
function idp(keys: HonoJsonWebKey[] = [KEY.public]) {
  const requests: string[] = [];
  const fetchFn = (async (url: string | URL) => {
    requests.push(String(url));
    if (String(url) === `${ISSUER}/.well-known/openid-configuration`)
      return Response.json({ issuer: ISSUER, jwks_uri: JWKS_URI });
    if (String(url) === JWKS_URI) return Response.json({ keys });
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
  return { fetchFn, requests };
}

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

async function refusalOf(verifier: OidcTokenVerifier, jwt: string): Promise<string> {
  try {
    await verifier.verify(jwt);
  } catch (error) {
    if (error instanceof ConsoleTokenError) return error.code;
    throw error;
  }
  throw new Error('the token was accepted');
}

describe('OidcTokenVerifier', () => {
  it('accepts a token the issuer signed for the console, naming the person by the configured claim', async () => {
    const { fetchFn, requests } = idp();
    const verifier = new OidcTokenVerifier(SETTINGS, fetchFn);
    await expect(verifier.verify(await token())).resolves.toEqual({
      kind: 'oidc',
      subject: '00u-bob',
      principal: 'oidc:00u-bob',
      sub: '00u-bob',
    });
    await verifier.verify(await token());
    // Discovery and keys once, at the first verification; then from the cache.
    expect(requests).toEqual([`${ISSUER}/.well-known/openid-configuration`, JWKS_URI]);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.com/' }, 'wrong_issuer'],
    ['another audience', { aud: 'some-other-client' }, 'wrong_audience'],
    ['several audiences, authorized for another client', { aud: [AUDIENCE, 'x'], azp: 'x' }, 'wrong_audience'],
    ['an expired token', { exp: now() - 5 }, 'token_expired'],
    ['a token without exp', { exp: undefined }, 'token_expired'],
    ['a token not valid yet', { nbf: now() + 600 }, 'token_not_yet_valid'],
    ['a token issued well in the future', { iat: now() + 600 }, 'token_not_yet_valid'],
    ['a token without the identity claim', { sub: undefined }, 'no_identity_claim'],
    // Another client's token whose audience lists the console (an API exposing it, a mapper).
    ['one audience, issued to another client (azp)', { azp: 'other-client' }, 'wrong_audience'],
    ["an access token (Cognito's token_use)", { token_use: 'access' }, 'not_an_id_token'],
    ["a bearer token (Keycloak's typ)", { typ: 'Bearer' }, 'not_an_id_token'],
    ['a token with scopes (scp), as access tokens carry', { scp: 'user_impersonation' }, 'not_an_id_token'],
    ['a token with scopes (scope)', { scope: 'openid profile' }, 'not_an_id_token'],
  ])('refuses %s', async (_what, over, code) => {
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    expect(await refusalOf(verifier, await token(over))).toBe(code);
  });

  it("tolerates an IdP clock a few seconds ahead of the function's (nbf, iat)", async () => {
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    await expect(verifier.verify(await token({ iat: now() + 5, nbf: now() + 5 }))).resolves.toMatchObject({
      subject: '00u-bob',
    });
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    expect(await refusalOf(verifier, await token({}, OTHER.private))).toBe('bad_signature');
  });

  it('refuses alg none, whatever it claims', async () => {
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    expect(await refusalOf(verifier, unsigned({ alg: 'none', kid: 'key-1' }, claims()))).toBe('algorithm_not_allowed');
  });

  it("refuses HS256 signed with the issuer's public key as the secret (algorithm confusion)", async () => {
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    const body = unsigned({ alg: 'HS256', typ: 'JWT', kid: 'key-1' }, claims());
    const input = body.slice(0, -1);
    const forged = `${input}.${createHmac('sha256', JSON.stringify(KEY.public)).update(input).digest('base64url')}`;
    expect(await refusalOf(verifier, forged)).toBe('algorithm_not_allowed');
    // Even were HS256 listed, a JWKS verification never takes a symmetric algorithm.
    const lax = new OidcTokenVerifier({ ...SETTINGS, algorithms: ['RS256', 'HS256' as 'RS256'] }, idp().fetchFn);
    expect(await refusalOf(lax, forged)).toBe('algorithm_not_allowed');
  });

  it('refuses a kid the issuer does not publish, refreshing the keys at most once a minute', async () => {
    const { fetchFn, requests } = idp();
    let clock = Date.now();
    const verifier = new OidcTokenVerifier(SETTINGS, fetchFn, () => clock);
    const stranger = keyPair('key-9');
    await verifier.verify(await token());
    expect(await refusalOf(verifier, await token({}, stranger.private))).toBe('unknown_key');
    expect(await refusalOf(verifier, await token({}, stranger.private))).toBe('unknown_key');
    expect(requests.filter((u) => u === JWKS_URI)).toHaveLength(1);
    clock += 61_000;
    expect(await refusalOf(verifier, await token({}, stranger.private))).toBe('unknown_key');
    expect(requests.filter((u) => u === JWKS_URI)).toHaveLength(2);
  });

  it('accepts the ID tokens IdPs issue: Cognito (token_use id), Keycloak (typ ID), azp naming the console', async () => {
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    for (const over of [{ token_use: 'id' }, { typ: 'ID', azp: AUDIENCE }, { azp: AUDIENCE }])
      await expect(verifier.verify(await token(over))).resolves.toMatchObject({ principal: 'oidc:00u-bob' });
  });

  it('keeps verifying with the keys it has while the issuer is unreachable, retrying at most once a minute', async () => {
    let up = true;
    const { fetchFn: reachable, requests } = idp();
    const fetchFn = (async (url: string | URL) =>
      up ? reachable(url) : Promise.reject(new Error('ECONNRESET'))) as typeof fetch;
    let clock = Date.now();
    const verifier = new OidcTokenVerifier(SETTINGS, fetchFn, () => clock);
    await verifier.verify(await token());
    up = false;
    clock += 3_600_001; // the cached keys are stale: a refresh is due, and fails
    const failedAt = requests.length;
    await expect(verifier.verify(await token())).resolves.toMatchObject({ principal: 'oidc:00u-bob' });
    await expect(verifier.verify(await token())).resolves.toMatchObject({ principal: 'oidc:00u-bob' });
    // A key it never had is still refused, and the issuer is not asked again within the minute.
    const stranger = keyPair('key-9');
    expect(await refusalOf(verifier, await token({}, stranger.private))).toBe('unknown_key');
    expect(requests.length).toBe(failedAt);
    clock += 61_000;
    up = true;
    // A minute on, an unknown kid asks the issuer again (key rotation is picked up).
    expect(await refusalOf(verifier, await token({}, stranger.private))).toBe('unknown_key');
    expect(requests.filter((u) => u === JWKS_URI)).toHaveLength(2);
  });

  it('accepts an e-mail claim only when the IdP verified it', async () => {
    const verifier = new OidcTokenVerifier({ ...SETTINGS, claim: 'email' }, idp().fetchFn);
    expect(await refusalOf(verifier, await token({ email: 'bob@example.com' }))).toBe('email_unverified');
    expect(await refusalOf(verifier, await token({ email: 'bob@example.com', email_verified: 'true' }))).toBe(
      'email_unverified',
    );
    await expect(
      verifier.verify(await token({ email: 'bob@example.com', email_verified: true })),
    ).resolves.toMatchObject({ principal: 'oidc:bob@example.com' });
  });

  it('refuses a discovery document that names another issuer', async () => {
    const fetchFn = (async () =>
      Response.json({ issuer: 'https://evil.example.com', jwks_uri: JWKS_URI })) as typeof fetch;
    const verifier = new OidcTokenVerifier(SETTINGS, fetchFn);
    expect(await refusalOf(verifier, await token())).toBe('issuer_unavailable');
  });
});

/** No IAM caller: the console's people prove who they are by their ID token alone. */
const NO_IAM_CALLERS: CallerVerifier = {
  verify: async () => ({ ok: false, status: 401, code: 'no_caller_proof', message: 'no IAM caller here' }),
};

/**
 * The operator API's function as Lambda invokes it: the payload crosses as JSON bytes, and the
 * function verifies the console's token with its own verifier (the issuer's keys, never the console's word).
 */
function operatorFunction(deps: Parameters<typeof answerOperatorRequest>[0], fetchFn: typeof fetch) {
  const invocations: { FunctionName?: string; event: APIGatewayProxyEvent }[] = [];
  const verifier = new OidcTokenVerifier(SETTINGS, fetchFn);
  const lambda = {
    send: async (command: InvokeCommand) => {
      const event = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)) as APIGatewayProxyEvent;
      invocations.push({ FunctionName: command.input.FunctionName, event });
      const result = await answerOperatorRequest(deps, event, NO_IAM_CALLERS, verifier);
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
    },
  };
  return { lambda: lambda as unknown as Parameters<typeof relayToOperatorApi>[0], invocations, verifier };
}

/** The console app in AWS mode over a waiting prod run, acting through the operator API's function. */
describe('the console in AWS', () => {
  let clock = Date.now();

  const runs = runsTableFixture('console-oidc-runs');

  /** Alice wrote and pushed the change; Bob did not. Both approve prod, each known by an IdP subject. */
  const definition = {
    ...DEFINITION,
    environments: DEFINITION.environments.map((e) => {
      if (e.name !== 'prod') return e;
      const people = [
        { ...PEOPLE.alice, oidc: ['00u-alice'] },
        { ...PEOPLE.bob, oidc: ['00u-bob'] },
      ];
      return { ...e, approvers: people, operators: people };
    }),
  };

  async function setup(): Promise<{
    f: PipelineFakes;
    plan: RunPlan;
    request: typeof fetch;
    operator: ReturnType<typeof operatorFunction>;
  }> {
    const { fakes: f } = await runs.fresh();
    f.pipelines.deployed = definition;
    const plan = resolvePlan(
      planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' }), 'push', definition),
    );
    await f.runs.create(plan, 'RUNNING', f.now);
    await requestApproval(f.deps, plan, 'token-1', plan.executionArn);
    const operatorDeps = { ...f.deps, deploy: new FakeDeployControl() };
    const operator = operatorFunction(operatorDeps, idp().fetchFn);
    const ports: ConsolePorts = {
      runs: { list: async () => [], get: (id) => f.runs.get(id) },
      audit: {
        query: async function* () {},
        head: async () => undefined,
        commitKnown: async () => false,
        chains: async () => [],
        countInChain: async () => 0,
      },
      ledger: {
        verify: () => Promise.reject(new Error('no ledger here')),
        dossier: () => Promise.reject(new Error('no ledger here')),
      },
      executions: { definition: async () => '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}' },
      logs: { read: async () => ({ lines: [], next: 0 }) },
      pipelines: f.pipelines,
      operator: (event, user) => relayToOperatorApi(operator.lambda, 'gantry-operator-api', event, user),
      refused: refusalRecorder(operatorDeps, () => clock),
    };
    const people = { '00u-alice': 'alice', '00u-bob': 'bob' };
    const identity = new OidcConsoleIdentity(new OidcTokenVerifier(SETTINGS, idp().fetchFn), people, SIGN_IN);
    const app = consoleApp({ base: '/console', identity, ports, stream: false });
    // API Gateway's JWT authorizer: on /console/api/… it verifies the bearer and hands on its claims.
    const request = ((url: string, init?: RequestInit) =>
      app.request(
        `https://console.example.com${url}`,
        init,
        lambdaEnv(authorizerClaims(url, init)),
      )) as unknown as typeof fetch;
    return { f, plan, request, operator };
  }

  /** The claims API Gateway's authorizer passes on for an API route with a bearer (the tests' tokens verify). */
  function authorizerClaims(url: string, init?: RequestInit): Record<string, unknown> | undefined {
    const bearer = /^Bearer (.+)$/.exec(new Headers(init?.headers).get('authorization') ?? '')?.[1];
    if (!url.startsWith('/console/api/') || bearer === undefined) return undefined;
    return JSON.parse(Buffer.from(bearer.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
  }

  /** What the Lambda adapter hands the app: the event, whose requestContext anyone who may invoke can write. */
  function lambdaEnv(claims?: Record<string, unknown>) {
    return { event: { requestContext: { authorizer: claims ? { jwt: { claims } } : undefined } } };
  }

  const decision = (body: unknown, bearer?: string) => ({
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: 'https://console.example.com',
      host: 'console.example.com',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify(body),
  });

  it('serves the shell with the public sign-in settings and no identity, and nothing of the API without a bearer', async () => {
    const { request } = await setup();
    const shell = await request('/console/runs/x');
    expect(shell.status).toBe(200);
    const page = await shell.text();
    expect(page).toContain('data-sign-in=');
    expect(page).toContain(AUDIENCE);
    expect((await request('/console/api/runs')).status).toBe(401);
  });

  it('refuses forged authorizer claims with no bearer, or with a bearer that does not verify', async () => {
    const { f, plan } = await setup();
    const refusals: string[] = [];
    const app = consoleApp({
      base: '/console',
      identity: new OidcConsoleIdentity(new OidcTokenVerifier(SETTINGS, idp().fetchFn), { '00u-bob': 'bob' }, SIGN_IN),
      ports: { refused: async (r) => void refusals.push(`${r.principal} ${r.action} ${r.runId}`) } as ConsolePorts,
    });
    const forged = { event: { requestContext: { authorizer: { jwt: { claims: { sub: '00u-bob', iss: ISSUER } } } } } };
    const url = `https://console.example.com/console/api/runs/${plan.runId}/decision`;
    const body = { decision: 'approve', reason: 'forged' };
    const none = await app.request(url, decision(body), forged);
    expect(none.status).toBe(401);
    const bad = await app.request(url, decision(body, await token({}, OTHER.private)), forged);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('bad_signature');
    // The token verifies but names someone else than the authorizer saw: refused too.
    const mismatch = await app.request(url, decision(body, await token({ sub: '00u-alice' })), forged);
    expect(mismatch.status).toBe(401);
    expect(f.executions.successes).toEqual([]);
    expect(refusals).toEqual(Array(3).fill(`unproven decision ${plan.runId}`));
  });

  it('refuses a verified bearer that reached the API around the JWT authorizer (a public route, dot segments)', async () => {
    const { f, plan } = await setup();
    const app = consoleApp({
      base: '/console',
      identity: new OidcConsoleIdentity(new OidcTokenVerifier(SETTINGS, idp().fetchFn), { '00u-bob': 'bob' }, SIGN_IN),
      ports: { refused: async () => undefined } as unknown as ConsolePorts,
    });
    const bob = await token({ sub: '00u-bob' });
    // Behind API Gateway, /console/runs/{proxy+} is public: what arrives from it carries no claims.
    const around = await app.request(
      `https://console.example.com/console/api/runs/${plan.runId}/decision`,
      decision({ decision: 'approve', reason: 'around' }, bob),
      lambdaEnv(),
    );
    expect(around.status).toBe(401);
    expect(((await around.json()) as { error: { message: string } }).error.message).toContain('JWT authorizer');
    expect(f.executions.successes).toEqual([]);
  });

  it('refuses a verified person the config does not name, saying what to configure', async () => {
    const { request } = await setup();
    const res = await request('/console/api/me', {
      headers: { authorization: `Bearer ${await token({ sub: '00u-mallory' })}` },
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unknown_person');
    expect(body.error.message).toContain('"00u-mallory"');
    expect(body.error.message).toContain('approvers.identities.<your name>.oidc');
  });

  it('records an action by a verified person the config does not name as operator.refused', async () => {
    const { f, plan, request } = await setup();
    const mallory = await token({ sub: '00u-mallory' });
    const res = await request(`/console/api/runs/${plan.runId}/cancel`, decision({ reason: 'mine now' }, mallory));
    expect(res.status).toBe(403);
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ id: 'oidc:00u-mallory' }),
        subject: expect.objectContaining({ runId: plan.runId }),
        details: expect.objectContaining({ action: 'cancel', code: 'unknown_person', principal: 'oidc:00u-mallory' }),
      }),
    ]);
  });

  it('records such refusals only about runs that exist, and one per person, run and action a minute', async () => {
    const { f, plan, request } = await setup();
    const mallory = await token({ sub: '00u-mallory' });
    const refusedRecords = () => f.audit.records.filter((r) => r.type === 'operator.refused');
    for (let i = 0; i < 5; i++) {
      const made = await request(`/console/api/runs/r-made-up-${i}/cancel`, decision({ reason: 'x' }, mallory));
      expect(made.status).toBe(403);
    }
    expect(refusedRecords()).toEqual([]);
    for (let i = 0; i < 5; i++) {
      const res = await request(`/console/api/runs/${plan.runId}/cancel`, decision({ reason: 'again' }, mallory));
      expect(res.status).toBe(403);
    }
    expect(refusedRecords()).toHaveLength(1);
    clock += REFUSAL_WINDOW_MS;
    await request(`/console/api/runs/${plan.runId}/cancel`, decision({ reason: 'a minute on' }, mallory));
    expect(refusedRecords()).toHaveLength(2);
  });

  it("refuses the change's author by separation of duties, through the same decision code, and audits it", async () => {
    const { f, plan, request } = await setup();
    const alice = await token({ sub: '00u-alice' });
    const view = (await (
      await request(`/console/api/runs/${plan.runId}`, { headers: { authorization: `Bearer ${alice}` } })
    ).json()) as { actions: { decide: boolean; why?: string } };
    expect(view.actions.decide).toBe(false);
    const res = await request(
      `/console/api/runs/${plan.runId}/decision`,
      decision({ decision: 'approve', reason: 'mine, fine' }, alice),
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('separation_of_duties');
    expect(f.executions.successes).toEqual([]);
    expect(f.audit.records.find((r) => r.type === 'operator.refused')).toMatchObject({
      actor: { type: 'user', id: 'oidc:00u-alice' },
      outcome: 'rejected',
      details: { action: 'approve', code: 'separation_of_duties', principal: 'oidc:00u-alice' },
    });
  });

  it('approves as a verified approver, recorded under their identity and their OIDC principal', async () => {
    const { f, plan, request } = await setup();
    const bob = await token();
    const res = await request(
      `/console/api/runs/${plan.runId}/decision`,
      decision({ decision: 'approve', reason: 'ok' }, bob),
    );
    expect(res.status).toBe(200);
    expect(f.executions.successes).toEqual([{ token: 'token-1', output: { approvedBy: ['bob'] } }]);
    expect(f.audit.records.find((r) => r.type === 'approval.granted')).toMatchObject({
      actor: { type: 'user', id: 'bob', providerIdentity: 'oidc:00u-bob' },
    });
  });

  it('acts only through the operator API function, handing it the token and no word of its own on who acts', async () => {
    const { plan, request, operator } = await setup();
    const bob = await token();
    await request(`/console/api/runs/${plan.runId}/decision`, decision({ decision: 'approve', reason: 'ok' }, bob));
    expect(operator.invocations).toHaveLength(1);
    const [relayed] = operator.invocations;
    expect(relayed?.FunctionName).toBe('gantry-operator-api');
    expect(relayed?.event.headers[CONSOLE_TOKEN_HEADER]).toBe(bob);
    expect(relayed?.event.requestContext).toBeUndefined();
  });

  it('offers no approval of a rollback to whoever asked for it, even where separation of duties is off', async () => {
    const { f, plan } = await setup();
    const waiting = (await f.runs.get(plan.runId)) as RunRecord;
    f.pipelines.deployed = {
      ...definition,
      environments: definition.environments.map((e) => ({
        ...e,
        approval: { ...e.approval, separationOfDuties: false },
      })),
    };
    const lax = {
      ...waiting.plan,
      approval: waiting.plan.approval && { ...waiting.plan.approval, separationOfDuties: false },
    };
    const rollback = { ofRunId: 'r-0', toRunId: 'r-00', version: '3', reason: 'errors up', requestedBy: 'bob' };
    const askedByBob = { ...waiting, plan: { ...lax, trigger: 'rollback', rollback } } as RunRecord;
    expect(await actionsFor(f.deps, askedByBob, 'oidc:00u-bob')).toMatchObject({
      decide: false,
      why: 'bob asked for this rollback; another approver must decide',
    });
    expect(await actionsFor(f.deps, { ...waiting, plan: lax } as RunRecord, 'oidc:00u-bob')).toMatchObject({
      decide: true,
    });
  });

  it('offers a rollback only to operators, once the run deployed', async () => {
    const { f, plan } = await setup();
    const waiting = (await f.runs.get(plan.runId)) as RunRecord;
    const deployed = { ...waiting, status: 'SUCCEEDED', approval: undefined } as RunRecord;
    expect((await actionsFor(f.deps, deployed, 'oidc:00u-bob')).rollback).toBe(true);
    expect((await actionsFor(f.deps, deployed, 'oidc:00u-mallory')).rollback).toBe(false);
    expect((await actionsFor(f.deps, waiting, 'oidc:00u-bob')).rollback).toBe(false);
    // Still baking, its deployment landed: rolled back (which ends it), never cancelled (which would skip its bake check).
    const deployment = {
      taskToken: 't',
      target: 'widgets-prod',
      strategy: 'all at once',
      fromVersion: '4',
      toVersion: '5',
      deploymentId: 'd-1',
      status: 'succeeded' as const,
      startedAt: '2026-11-23T10:00:00Z',
      endedAt: '2026-11-23T10:05:00Z',
    };
    const baking = { ...waiting, approval: undefined, deployment } as RunRecord;
    expect(await actionsFor(f.deps, baking, 'oidc:00u-bob')).toMatchObject({ rollback: true, cancel: false });
    // An approver who is not an operator is offered neither, as the use cases would refuse him.
    f.pipelines.deployed = {
      ...definition,
      environments: definition.environments.map((e) => ({ ...e, operators: e.operators.slice(0, 1) })),
    };
    expect(await actionsFor(f.deps, deployed, 'oidc:00u-bob')).toMatchObject({ rollback: false, retry: false });
    expect(await actionsFor(f.deps, waiting, 'oidc:00u-bob')).toMatchObject({ decide: true, cancel: false });
  });

  it('rolls back through the operator use case as the signed-in person, naming the run of the page', async () => {
    const { f, plan, request } = await setup();
    const res = await request(
      `/console/api/runs/${plan.runId}/rollback`,
      decision({ reason: 'bad release', runId: 'someone-elses-run' }, await token()),
    );
    const body = (await res.json()) as { error?: { code: string; message: string } };
    expect(res.status).toBe(409);
    expect(body.error?.code).toBe('nothing_to_roll_back');
    expect(f.audit.records.filter((r) => r.type === 'operator.refused')).toEqual([
      expect.objectContaining({
        subject: expect.objectContaining({ runId: plan.runId }),
        details: expect.objectContaining({ action: 'rollback', principal: 'oidc:00u-bob' }),
      }),
    ]);
  });

  /** A decision as the console relays it, invoked directly with the given token and requestContext. */
  const relayed = (runId: string, bearer: string, requestContext?: unknown) =>
    ({
      resource: '/runs/{runId}/decision',
      path: `/runs/${runId}/decision`,
      httpMethod: 'POST',
      headers: { 'content-type': 'application/json', [CONSOLE_TOKEN_HEADER]: bearer },
      pathParameters: { runId },
      body: JSON.stringify({ decision: 'approve', reason: 'relayed' }),
      isBase64Encoded: false,
      ...(requestContext === undefined ? {} : { requestContext }),
    }) as unknown as APIGatewayProxyEvent;

  it('makes the operator API verify a relayed token itself: a forged one answers nothing and is recorded', async () => {
    const { f, plan } = await setup();
    const deps = { ...f.deps, deploy: new FakeDeployControl() };
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    // Whoever may invoke the function (the console's role, or one who took it over) can forge a token: not sign it.
    const forged = await answerOperatorRequest(
      deps,
      relayed(plan.runId, await token({}, OTHER.private)),
      NO_IAM_CALLERS,
      verifier,
    );
    expect(forged.statusCode).toBe(401);
    expect(JSON.parse(forged.body).error.code).toBe('bad_signature');
    const expired = await answerOperatorRequest(
      deps,
      relayed(plan.runId, await token({ exp: now() - 120 })),
      NO_IAM_CALLERS,
      verifier,
    );
    expect(JSON.parse(expired.body).error.code).toBe('token_expired');
    expect(f.executions.successes).toEqual([]);
    expect(f.audit.records.filter((r) => r.type === 'operator.refused').map((r) => r.details)).toEqual([
      expect.objectContaining({ action: 'authenticate', code: 'bad_signature' }),
      expect.objectContaining({ action: 'authenticate', code: 'token_expired' }),
    ]);
    // The same token, verified, acts: the refusals above were the token's, not the path's.
    const good = await answerOperatorRequest(deps, relayed(plan.runId, await token()), NO_IAM_CALLERS, verifier);
    expect(good.statusCode).toBe(200);
    expect(f.executions.successes).toHaveLength(1);
  });

  it('takes a console token only from a direct invocation, and only when the config has a console', async () => {
    const { f, plan } = await setup();
    const deps = { ...f.deps, deploy: new FakeDeployControl() };
    const verifier = new OidcTokenVerifier(SETTINGS, idp().fetchFn);
    // Through the IAM-authorized API an operator proves an IAM principal; a token beside it is refused, not preferred.
    const viaApi = await answerOperatorRequest(
      deps,
      relayed(plan.runId, await token(), { identity: { userArn: 'arn:aws:iam::123456789012:user/mallory' } }),
      NO_IAM_CALLERS,
      verifier,
    );
    expect(viaApi.statusCode).toBe(400);
    expect(JSON.parse(viaApi.body).error.code).toBe('console_token_misplaced');
    const noConsole = await answerOperatorRequest(deps, relayed(plan.runId, await token()), NO_IAM_CALLERS);
    expect(noConsole.statusCode).toBe(401);
    expect(JSON.parse(noConsole.body).error.code).toBe('console_not_configured');
    expect(f.executions.successes).toEqual([]);
    const bob = { principals: ['arn:aws:iam::123456789012:user/bob'], identityCenter: ['bob'], oidc: ['00u-bob'] };
    expect(actsAs(bob, 'oidc:00u-bob', [])).toBe(true);
    expect(actsAs(bob, 'oidc:arn:aws:iam::123456789012:user/bob', [])).toBe(false);
    expect(actsAs(bob, 'oidc:bob', [])).toBe(false);
    expect(actsAs({ ...bob, oidc: undefined }, 'oidc:00u-bob', [])).toBe(false);
  });
});
