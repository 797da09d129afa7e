import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { Jwt } from 'hono/utils/jwt';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';
import { consoleApp } from '../../shared/console/app';
import { OidcConsoleIdentity } from '../../shared/console/oidc-identity';
import type { ConsolePorts } from '../../shared/console/ports';
import { OidcTokenVerifier } from '../../shared/operators/oidc';
import { expectAccessible } from './a11y';
import { browserAvailable, CHROMIUM, launchChromium } from './chromium';

const CLIENT = 'gantry-console-test';

/**
 * A minimal OIDC provider: discovery, authorize (signs in `user` at once), token (checks PKCE), JWKS.
 * `tokenBase`, when set, is where discovery says the token endpoint is (Cognito's hosted UI domain).
 */
function fakeIdp(issuer: () => string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as HonoJsonWebKey), kid: 'k1', alg: 'RS256', use: 'sig' };
  const signing = { ...(privateKey.export({ format: 'jwk' }) as HonoJsonWebKey), kid: 'k1', alg: 'RS256' };
  const codes = new Map<string, { challenge: string; nonce: string; redirect: string }>();
  const seen: { authorize: Record<string, string>[]; token: Record<string, string>[] } = { authorize: [], token: [] };
  const state: { user: string; tokenBase?: string } = { user: '00u-bob' };
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('access-control-allow-origin', '*');
  });
  app.get('/.well-known/openid-configuration', (c) =>
    c.json({
      issuer: issuer(),
      authorization_endpoint: `${issuer()}/authorize`,
      token_endpoint: `${state.tokenBase ?? issuer()}/token`,
      jwks_uri: `${issuer()}/jwks`,
    }),
  );
  app.get('/jwks', (c) => c.json({ keys: [jwk] }));
  app.get('/authorize', (c) => {
    const q = c.req.query();
    seen.authorize.push(q);
    if (q.client_id !== CLIENT || q.code_challenge_method !== 'S256' || !q.code_challenge || !q.redirect_uri)
      return c.text('bad authorize request', 400);
    const code = randomBytes(16).toString('hex');
    codes.set(code, { challenge: q.code_challenge, nonce: q.nonce ?? '', redirect: q.redirect_uri });
    const back = new URL(q.redirect_uri);
    back.search = new URLSearchParams({ code, state: q.state ?? '' }).toString();
    return c.redirect(back.toString(), 302);
  });
  app.post('/token', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    seen.token.push(form);
    const grant = codes.get(form.code ?? '');
    codes.delete(form.code ?? '');
    const verifier = createHash('sha256')
      .update(form.code_verifier ?? '')
      .digest('base64url');
    if (!grant || grant.challenge !== verifier || grant.redirect !== form.redirect_uri || form.client_id !== CLIENT)
      return c.json({ error: 'invalid_grant' }, 400);
    const now = Math.floor(Date.now() / 1000);
    const idToken = await Jwt.sign(
      { iss: issuer(), aud: CLIENT, sub: state.user, nonce: grant.nonce, iat: now, exp: now + 600 },
      signing,
    );
    return c.json({ id_token: idToken, token_type: 'Bearer', expires_in: 600 });
  });
  return { app, seen, state };
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

if (!browserAvailable()) {
  describe('the console in AWS, signing in through a browser', () => {
    it(`is not run here: ${CHROMIUM} is absent (GANTRY_REQUIRE_BROWSER=1 makes this a failure)`, () => {
      expect(existsSync(CHROMIUM)).toBe(false);
    });
  });
} else {
  describe('the console in AWS, signing in through a browser', () => {
    let idpUrl = '';
    const idp = fakeIdp(() => idpUrl);
    let servers: Server[] = [];
    let consoleUrl = '';
    let chrome: Awaited<ReturnType<typeof launchChromium>>;
    const bearers: string[] = [];

    beforeAll(async () => {
      const provider = await listen(getRequestListener(idp.app.fetch));
      idpUrl = provider.url;
      const verifier = new OidcTokenVerifier({
        issuer: idpUrl,
        audience: CLIENT,
        claim: 'sub',
        algorithms: ['RS256'],
        jwksUri: `${idpUrl}/jwks`,
      });
      const identity = new OidcConsoleIdentity(
        verifier,
        { '00u-bob': 'bob' },
        { issuer: idpUrl, clientId: CLIENT, scopes: ['openid'], claim: 'sub' },
        // Served by this test's own server, without API Gateway: no authorizer claims come.
        false,
      );
      const ports = {
        runs: { list: async () => [], get: async () => undefined },
        audit: { query: async function* () {}, head: async () => undefined, commitKnown: async () => false },
        pipelines: { definitionOf: async () => Promise.reject(new Error('none')) },
      } as unknown as ConsolePorts;
      const app = consoleApp({ base: '/console', identity, ports, stream: false });
      const served = await listen(
        getRequestListener((request) => {
          const auth = request.headers.get('authorization');
          if (auth) bearers.push(auth);
          return app.fetch(request);
        }),
      );
      consoleUrl = served.url;
      servers = [provider.server, served.server];
      chrome = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await chrome?.close();
      for (const s of servers) s.close();
    });

    it('signs in with authorization code + PKCE, then calls the API with the ID token as a bearer', async () => {
      idp.state.user = '00u-bob';
      const page = await chrome.context.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (m.text().includes('Content Security Policy')) violations.push(m.text());
      });
      await page.goto(`${consoleUrl}/console/audit`);
      await page.locator('[data-testid="acting-as"]', { hasText: 'bob' }).waitFor({ timeout: 20_000 });
      // Back where the sign-in started, with neither the code nor a token in the address.
      expect(new URL(page.url()).pathname).toBe('/console/audit');
      expect(page.url()).not.toContain('code=');
      const [authorize] = idp.seen.authorize;
      expect(authorize).toMatchObject({ response_type: 'code', client_id: CLIENT, code_challenge_method: 'S256' });
      expect(authorize?.redirect_uri).toBe(`${consoleUrl}/console/callback`);
      // A public client: the token request carries the verifier, never a secret.
      expect(Object.keys(idp.seen.token[0] ?? {}).sort()).toEqual([
        'client_id',
        'code',
        'code_verifier',
        'grant_type',
        'redirect_uri',
      ]);
      expect(bearers.length).toBeGreaterThan(0);
      expect(bearers.every((b) => b.startsWith('Bearer ey'))).toBe(true);
      // The shell's policy lets the console's own modules, its import map and the IdP through, and nothing else.
      expect(violations).toEqual([]);
      await page.locator('h1', { hasText: 'Audit' }).waitFor();
      await expectAccessible(page);
      // An injected inline script (the XSS that would read the token) does not run.
      const injected = await page.evaluate(`(() => {
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.body.appendChild(script);
        return window.injected === true;
      })()`);
      expect(injected).toBe(false);
      await page.close();
    }, 60_000);

    it('says which endpoints to configure when discovery puts the token endpoint outside the policy', async () => {
      // Another origin for the same server: a fetch there would be blocked by connect-src.
      idp.state.tokenBase = idpUrl.replace('127.0.0.1', 'localhost');
      const started = idp.seen.authorize.length;
      const page = await chrome.context.newPage();
      try {
        await page.goto(`${consoleUrl}/console/`);
        const message = page.locator('[data-testid="sign-in-failed"]');
        await message.waitFor({ timeout: 20_000 });
        const text = (await message.textContent()) ?? '';
        expect(text).toContain(`puts its token endpoint at ${idp.state.tokenBase}`);
        expect(text).toContain(`set console.tokenEndpoint (${idp.state.tokenBase}/token)`);
        expect(text).toContain('console.authorizationEndpoint');
        // Said before leaving for the IdP: no sign-in was started that could not finish.
        expect(idp.seen.authorize.length).toBe(started);
      } finally {
        delete idp.state.tokenBase;
        await page.close();
      }
    }, 60_000);

    it('tells a person the IdP knows but the config does not what to configure', async () => {
      idp.state.user = '00u-mallory';
      const page = await chrome.context.newPage();
      // A new tab: sessionStorage holds no token, so it signs in afresh.
      await page.goto(`${consoleUrl}/console/`);
      const message = page.locator('[data-testid="not-signed-in"]');
      await message.waitFor({ timeout: 20_000 });
      expect(await message.textContent()).toContain('"00u-mallory"');
      expect(await message.textContent()).toContain('approvers.identities.<your name>.oidc');
      await page.close();
    }, 60_000);
  });
}
