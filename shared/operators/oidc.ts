import { Jwt } from 'hono/utils/jwt';
import type { AsymmetricAlgorithm } from 'hono/utils/jwt/jwa';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';
import {
  JwtAlgorithmMismatch,
  JwtAlgorithmNotAllowed,
  JwtHeaderInvalid,
  JwtHeaderRequiresKid,
  JwtPayloadRequiresAud,
  JwtSymmetricAlgorithmNotAllowed,
  JwtTokenAudience,
  JwtTokenExpired,
  JwtTokenIssuedAt,
  JwtTokenIssuer,
  JwtTokenNotBefore,
  JwtTokenSignatureMismatched,
} from 'hono/utils/jwt/types';
import * as z from 'zod/mini';
import { jsonFromEnv, readEnv } from '../config/env';
import { OIDC_PRINCIPAL_PREFIX } from '../pipelines/principals';

/**
 * JSON: the config's `console:` block (issuer, audience, claim, algorithms, endpoints, scopes),
 * set on the console function (sign-in, first check) and on the operator API's (the check that
 * counts: only that function acts).
 */
export const OIDC_SETTINGS_ENV = 'CONSOLE_OIDC';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const OidcEnvSchema = z.object({
  issuer: z.string().check(z.startsWith('https://')),
  audience: z.string().check(z.minLength(1)),
  claim: z.string().check(z.minLength(1)),
  algorithms: z.array(z.enum(ALGORITHMS)).check(z.minLength(1)),
  scopes: z.array(z.string()).check(z.minLength(1)),
  jwksUri: z.optional(z.string().check(z.startsWith('https://'))),
  authorizationEndpoint: z.optional(z.string().check(z.startsWith('https://'))),
  tokenEndpoint: z.optional(z.string().check(z.startsWith('https://'))),
});

/** What verifying a token needs of the `console:` block. */
export function verificationOf(o: z.infer<typeof OidcEnvSchema>): OidcSettings {
  return {
    issuer: o.issuer,
    audience: o.audience,
    claim: o.claim,
    algorithms: o.algorithms,
    ...(o.jwksUri ? { jwksUri: o.jwksUri } : {}),
  };
}

/** The verification settings from the function's environment, or undefined when the config has no `console:`. */
export function oidcSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OidcSettings | undefined {
  if (env[OIDC_SETTINGS_ENV] === undefined) return undefined;
  return verificationOf(readEnv(z.object({ [OIDC_SETTINGS_ENV]: jsonFromEnv(OidcEnvSchema) }), env)[OIDC_SETTINGS_ENV]);
}

/** The issuer the console trusts and how its tokens name people. */
export interface OidcSettings {
  /** Exactly the tokens' `iss`. */
  readonly issuer: string;
  /** The console's client id: the ID token's `aud`. */
  readonly audience: string;
  /** The claim whose value `approvers.identities.<name>.oidc` lists. */
  readonly claim: string;
  /** Asymmetric algorithms only (the allowlist; a token's own `alg` is never taken on its word). */
  readonly algorithms: readonly AsymmetricAlgorithm[];
  /** @default the discovery document's `jwks_uri` */
  readonly jwksUri?: string;
}

/** A person the issuer vouched for: the claim's value, and the principal the operator use cases know them by. */
export interface VerifiedOidcUser {
  readonly kind: 'oidc';
  readonly subject: string;
  readonly principal: `oidc:${string}`;
  /** The token's `sub`, to compare with what API Gateway's authorizer saw. */
  readonly sub: string;
}

/** Why a bearer token was not believed: a stable code and a message safe to show. */
export class ConsoleTokenError extends Error {
  override readonly name = 'ConsoleTokenError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** How far ahead of this function's clock an IdP's may run (nbf, iat). */
const CLOCK_LEEWAY_SECONDS = 60;

const REASONS: [new (...args: never[]) => Error, string, string][] = [
  [JwtTokenExpired, 'token_expired', 'the sign-in has expired: sign in again'],
  [JwtTokenNotBefore, 'token_not_yet_valid', 'the token is not valid yet (check the clocks)'],
  [JwtTokenIssuedAt, 'token_not_yet_valid', 'the token was issued in the future (check the clocks)'],
  [JwtTokenIssuer, 'wrong_issuer', 'the token comes from another issuer than console.issuer'],
  [JwtTokenAudience, 'wrong_audience', 'the token was issued to another client than console.audience'],
  [JwtPayloadRequiresAud, 'wrong_audience', 'the token names no audience'],
  [JwtSymmetricAlgorithmNotAllowed, 'algorithm_not_allowed', 'the token is signed with a shared secret (HS*)'],
  [
    JwtAlgorithmNotAllowed,
    'algorithm_not_allowed',
    'the token is signed with an algorithm console.algorithms does not list',
  ],
  [JwtAlgorithmMismatch, 'algorithm_not_allowed', "the token's algorithm is not its key's"],
  [JwtHeaderRequiresKid, 'unknown_key', 'the token names no signing key (kid)'],
  [JwtHeaderInvalid, 'invalid_token', 'the token header is not a signed JWT (alg none, crit, or another typ)'],
  [JwtTokenSignatureMismatched, 'bad_signature', "the token's signature does not verify"],
];

/**
 * Verifies the console's bearer tokens itself, whatever API Gateway's authorizer said: anyone
 * allowed `lambda:InvokeFunction` can write an event's `requestContext`, never the issuer's
 * signature. Checks the signature against the issuer's JWKS (by kid, from the allowlist of
 * algorithms), `iss`, `aud` (and `azp` when there are several), `exp` (required), `nbf`, `iat`.
 */
export class OidcTokenVerifier {
  private keys: { readonly at: number; readonly keys: HonoJsonWebKey[] } | undefined;
  private jwksUri: string | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
    /** How long keys are kept; an unknown kid refreshes them at most once a minute. */
    private readonly ttlMs = 3_600_000,
  ) {
    this.jwksUri = settings.jwksUri;
  }

  async verify(token: string): Promise<VerifiedOidcUser> {
    const header = headerOf(token);
    if (!this.settings.algorithms.includes(header.alg as AsymmetricAlgorithm))
      throw new ConsoleTokenError('algorithm_not_allowed', `tokens signed with ${header.alg} are not accepted`);
    if (typeof header.kid !== 'string') throw new ConsoleTokenError('unknown_key', 'the token names no signing key');
    const keys = await this.keysFor(header.kid);
    let payload: Record<string, unknown>;
    try {
      payload = await Jwt.verifyWithJwks(token, {
        keys,
        allowedAlgorithms: this.settings.algorithms,
        // nbf and iat are checked below, with leeway for the IdP's clock; exp is checked here, strictly.
        verification: { iss: this.settings.issuer, aud: this.settings.audience, nbf: false, iat: false },
      });
    } catch (error) {
      throw refusal(error);
    }
    return this.userOf(payload);
  }

  private userOf(payload: Record<string, unknown>): VerifiedOidcUser {
    if (typeof payload.exp !== 'number') throw new ConsoleTokenError('token_expired', 'the token has no expiry (exp)');
    const latest = this.now() / 1000 + CLOCK_LEEWAY_SECONDS;
    for (const claim of ['nbf', 'iat'] as const) {
      const at = payload[claim];
      if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at) || at > latest))
        throw new ConsoleTokenError('token_not_yet_valid', `the token is not valid yet (${claim}): check the clocks`);
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.settings.audience)
      throw new ConsoleTokenError('wrong_audience', 'the token was authorized for another client (azp)');
    // An azp names the client the token was issued to: whatever aud says, it must be the console.
    if (payload.azp !== undefined && payload.azp !== this.settings.audience)
      throw new ConsoleTokenError('wrong_audience', 'the token was issued to another client (azp)');
    // Only an ID token names a signed-in person to this client: an access token for an API that
    // lists the console's client id as its audience is another client's credential.
    const kind = idTokenRefusal(payload);
    if (kind !== undefined) throw new ConsoleTokenError('not_an_id_token', kind);
    const { claim } = this.settings;
    const value = payload[claim];
    if (typeof value !== 'string' || value === '')
      throw new ConsoleTokenError('no_identity_claim', `the token has no ${claim} claim (console.claim)`);
    if (claim === 'email' && payload.email_verified !== true)
      throw new ConsoleTokenError('email_unverified', 'the IdP has not verified this e-mail address (email_verified)');
    if (typeof payload.sub !== 'string') throw new ConsoleTokenError('invalid_token', 'the token has no sub');
    return { kind: 'oidc', subject: value, principal: `${OIDC_PRINCIPAL_PREFIX}${value}`, sub: payload.sub };
  }

  /** The issuer's keys, fetched at the first verification and kept; refreshed for an unknown kid (key rotation). */
  private async keysFor(kid: string): Promise<HonoJsonWebKey[]> {
    const fresh = this.keys !== undefined && this.now() - this.keys.at < this.ttlMs;
    const known = this.keys?.keys.some((k) => k.kid === kid);
    const recent = this.keys !== undefined && this.now() - this.keys.at < 60_000;
    if (fresh && (known || recent)) {
      if (!known)
        throw new ConsoleTokenError('unknown_key', 'the token is signed with a key the issuer does not publish');
      return this.keys?.keys ?? [];
    }
    let fetched: HonoJsonWebKey[];
    try {
      fetched = await this.fetchKeys();
    } catch (error) {
      // The issuer unreachable: the keys it published last stay good for tokens they verify (as
      // if just fetched), and an unknown kid retries a minute later at the earliest, so a flood of
      // requests never turns into a flood of fetches, nor an outage of the IdP into one of the console.
      if (this.keys === undefined) throw error;
      this.keys = { at: this.now(), keys: this.keys.keys };
      if (this.keys.keys.some((k) => k.kid === kid)) return this.keys.keys;
      throw error;
    }
    this.keys = { at: this.now(), keys: fetched };
    if (!this.keys.keys.some((k) => k.kid === kid))
      throw new ConsoleTokenError('unknown_key', 'the token is signed with a key the issuer does not publish');
    return this.keys.keys;
  }

  private async fetchKeys(): Promise<HonoJsonWebKey[]> {
    this.jwksUri ??= await this.discoverJwksUri();
    const body = (await this.getJson(this.jwksUri)) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new ConsoleTokenError('issuer_unavailable', 'the JWKS has no keys');
    return body.keys.filter((k): k is HonoJsonWebKey => typeof k === 'object' && k !== null && 'kid' in k);
  }

  private async discoverJwksUri(): Promise<string> {
    const base = this.settings.issuer.replace(/\/$/, '');
    const doc = (await this.getJson(`${base}/.well-known/openid-configuration`)) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    if (doc.issuer !== this.settings.issuer)
      throw new ConsoleTokenError('issuer_unavailable', `the discovery document names issuer ${String(doc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string' || !doc.jwks_uri.startsWith('https://'))
      throw new ConsoleTokenError('issuer_unavailable', 'the discovery document has no https jwks_uri');
    return doc.jwks_uri;
  }

  private async getJson(url: string): Promise<unknown> {
    try {
      const res = await this.fetchFn(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.json();
    } catch (error) {
      if (error instanceof ConsoleTokenError) throw error;
      throw new ConsoleTokenError('issuer_unavailable', `the issuer's keys could not be read from ${url}; try again`, {
        cause: error,
      });
    }
  }
}

/** Why a verified payload is not an ID token (Cognito's token_use, Keycloak's typ, scopes of an access token). */
function idTokenRefusal(payload: Record<string, unknown>): string | undefined {
  if (payload.token_use !== undefined && payload.token_use !== 'id')
    return `the token is a ${String(payload.token_use)} token: the console takes the ID token`;
  if (typeof payload.typ === 'string' && payload.typ.toLowerCase() !== 'id')
    return `the token is of type ${payload.typ}: the console takes the ID token`;
  if (payload.scp !== undefined || payload.scope !== undefined)
    return 'the token carries scopes (scp/scope), as access tokens do: the console takes the ID token';
  return undefined;
}

function headerOf(token: string): { alg?: unknown; kid?: unknown } {
  try {
    return Jwt.decode(token).header;
  } catch (error) {
    throw new ConsoleTokenError('invalid_token', 'the bearer token is not a JWT', { cause: error });
  }
}

function refusal(error: unknown): ConsoleTokenError {
  if (error instanceof ConsoleTokenError) return error;
  for (const [type, code, message] of REASONS)
    if (error instanceof type) return new ConsoleTokenError(code, message, { cause: error });
  return new ConsoleTokenError('invalid_token', 'the bearer token was refused', { cause: error });
}
