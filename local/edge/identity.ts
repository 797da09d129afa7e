import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { PRESIGN_PARAMETERS } from '../../shared/aws/presign';
import { bindingRefusal, type ServedCall, type SignatureScope } from './binding';

/** Who a request to a local server comes from, once its signature or token is checked. */
export type Principal =
  /** A role of the templates: its own credentials, or (with `sessionName`) a session STS AssumeRole issued. */
  | { readonly kind: 'role'; readonly roleName: string; readonly roleArn: string; readonly sessionName?: string }
  /** The session's operator: its own credentials (runtime.json, the aws CLI profile) or the bearer token. */
  | { readonly kind: 'operator' }
  /** The shared function and build credentials, unrestricted until each gets its role's own. */
  | { readonly kind: 'internal' }
  /** A person the operator acts as (an identity's IAM ARN), with credentials the edge issued for it. */
  | { readonly kind: 'user'; readonly arn: string };

/** What authentication looks at: the request line, its headers, and its body where the signature covers it. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query, as sent (`req.url`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Needed unless the request carries `x-amz-content-sha256` (S3) or is presigned. */
  readonly body?: Buffer;
  /** What the edge will do with it: the service and region a signature must be made for. */
  readonly served: ServedCall;
}

/** Why a request is refused, independent of the protocol the refusal is written in. */
export type AuthFailure = 'missing' | 'unknown-key' | 'bad-signature' | 'expired';

export type Authentication =
  | { readonly ok: true; readonly principal: Principal; readonly accessKeyId?: string }
  | { readonly ok: false; readonly failure: AuthFailure; readonly message: string };

/** A request's SigV4 parameters, from its Authorization header or its presigned query. */
interface SigV4Parts extends SignatureScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly signature: string;
}

const AUTH_HEADER =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/i;
/**
 * The presigned URL's parameters the signer below writes back itself when it re-signs. The
 * session token is not one: this signer holds no token, so it stays in the query the sender signed.
 */
const RESIGNED_PARAMS: ReadonlySet<string> = new Set(
  [...PRESIGN_PARAMETERS].filter((name) => name !== 'X-Amz-Security-Token'),
);
/** AWS refuses a signature dated more than 15 minutes from its clock. */
const MAX_SKEW_MS = 15 * 60_000;
/** The longest a presigned URL may live, as S3 allows: seven days. */
const MAX_PRESIGN_SECONDS = 604_800;

/**
 * The local control plane's credential registry: which access keys exist, the secret each signs
 * with, and the principal it stands for; plus the session's bearer token (the operator). Every
 * request to the edge is authenticated here before anything serves it: an unknown key, a
 * signature that does not verify, or neither a signature nor the token, is refused.
 */
/** What temporary credentials carry besides their key pair: the token sent with each call, and when they lapse. */
export interface SessionBinding {
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** Temporary credentials as STS issues them. */
export interface SessionCredentials extends SessionBinding {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export class IdentityRegistry {
  private readonly keys = new Map<
    string,
    { secretAccessKey: string; principal: Principal; session: SessionBinding | undefined }
  >();
  private readonly issued = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
  private readonly token: Buffer;

  constructor(
    token: string,
    private readonly now: () => number = Date.now,
  ) {
    if (token.length < 16) throw new RangeError('the session token must be at least 16 characters');
    this.token = Buffer.from(token);
  }

  /** Adds (or replaces) a credential pair; with `session`, only calls carrying its token before it lapses. */
  register(accessKeyId: string, secretAccessKey: string, principal: Principal, session?: SessionBinding): void {
    this.keys.set(accessKeyId, { secretAccessKey, principal, session });
  }

  /** Issues temporary credentials standing for `principal` for `seconds` (what STS AssumeRole answers with). */
  issueSession(principal: Principal, seconds: number): SessionCredentials {
    const issued = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64url'),
      sessionToken: randomBytes(48).toString('base64url'),
      expiresAt: this.now() + seconds * 1000,
    };
    this.register(issued.accessKeyId, issued.secretAccessKey, principal, issued);
    return issued;
  }

  /**
   * The key pair standing for `arn` (the operator acting as one of the config's identities),
   * issued on first use and the same for the rest of the session.
   */
  issueFor(arn: string): { accessKeyId: string; secretAccessKey: string } {
    const issued = this.issued.get(arn);
    if (issued !== undefined) return issued;
    const pair = {
      accessKeyId: `LKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64url'),
    };
    this.register(pair.accessKeyId, pair.secretAccessKey, { kind: 'user', arn });
    this.issued.set(arn, pair);
    return pair;
  }

  /** True when `value` is the session's bearer token (constant time). */
  isToken(value: string | undefined): boolean {
    if (value === undefined) return false;
    const given = Buffer.from(value);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  /** True when the request carries `Authorization: Bearer <session token>`. */
  hasToken(headers: IncomingHttpHeaders): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ''));
    return this.isToken(match?.[1]);
  }

  /** True when the request carries a SigV4 signature (header or presigned query), valid or not. */
  static isSigned(request: { readonly url?: string; readonly headers: IncomingHttpHeaders }): boolean {
    return (
      /^AWS4-HMAC-SHA256\s/i.test(String(request.headers.authorization ?? '')) ||
      new URL(request.url ?? '/', 'http://local').searchParams.has('X-Amz-Signature')
    );
  }

  /**
   * Verifies the request's SigV4 signature against the registered secret, and that it was made
   * for what the edge will do with the request (`bindingRefusal`); or its bearer token.
   */
  async authenticate(request: SignedRequest): Promise<Authentication> {
    if (this.hasToken(request.headers)) return { ok: true, principal: { kind: 'operator' } };
    const url = new URL(request.url, 'http://local');
    const parts = sigV4Parts(request.headers, url);
    if (parts === undefined) {
      return {
        ok: false,
        failure: 'missing',
        message:
          'Request is missing Authentication Token: sign it with credentials from .gantry/runtime.json (the gantry-local aws profile), or send Authorization: Bearer <token from .gantry/runtime.json>',
      };
    }
    const key = this.keys.get(parts.accessKeyId);
    if (key === undefined) {
      return {
        ok: false,
        failure: 'unknown-key',
        message: `The security token included in the request is invalid: access key ${parts.accessKeyId} is not one this local control plane issued (see .gantry/runtime.json)`,
      };
    }
    const skew = this.checkDate(parts);
    if (skew !== undefined) return { ok: false, failure: 'expired', message: skew };
    const lapsed = key.session === undefined ? undefined : this.checkSession(key.session, request, url);
    if (lapsed !== undefined) return lapsed;
    const unbound = bindingRefusal(parts, { ...request, url }, request.served);
    if (unbound !== undefined) return { ok: false, failure: 'bad-signature', message: unbound };
    const expected = await expectedSignature(request, url, parts, key.secretAccessKey);
    if (!sameHex(expected, parts.signature)) {
      return {
        ok: false,
        failure: 'bad-signature',
        message:
          'The request signature we calculated does not match the signature you provided: the request was changed after signing, or signed with another secret key',
      };
    }
    return { ok: true, principal: key.principal, accessKeyId: parts.accessKeyId };
  }

  /** Temporary credentials count only with the session token they were issued with, and only until they expire. */
  private checkSession(
    session: SessionBinding,
    request: SignedRequest,
    url: URL,
  ): Extract<Authentication, { ok: false }> | undefined {
    const sent = request.headers['x-amz-security-token'] ?? url.searchParams.get('X-Amz-Security-Token') ?? undefined;
    const token = Buffer.from(String(sent ?? ''));
    const expected = Buffer.from(session.sessionToken);
    if (token.length !== expected.length || !timingSafeEqual(token, expected))
      return {
        ok: false,
        failure: 'unknown-key',
        message:
          'The security token included in the request is invalid: temporary credentials need the session token STS issued with them',
      };
    if (this.now() >= session.expiresAt)
      return {
        ok: false,
        failure: 'expired',
        message: 'The security token included in the request is expired: assume the role again',
      };
    return undefined;
  }

  private checkDate(parts: SigV4Parts): string | undefined {
    const signedAt = parseAmzDate(parts.date);
    if (signedAt === undefined) return `X-Amz-Date ${parts.date} is not a date of the form YYYYMMDDTHHMMSSZ`;
    const now = this.now();
    if (parts.expires !== undefined) {
      // As S3 bounds a presigned URL: at most seven days, and not dated ahead of the clock.
      if (!Number.isInteger(parts.expires) || parts.expires < 1 || parts.expires > MAX_PRESIGN_SECONDS)
        return `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS}`;
      if (signedAt - now > MAX_SKEW_MS) return `Request is not yet valid: ${parts.date} is ahead of the local clock`;
      return now > signedAt + parts.expires * 1000 ? 'Request has expired: presign the URL again' : undefined;
    }
    return Math.abs(now - signedAt) > MAX_SKEW_MS
      ? `Signature expired: ${parts.date} is more than 15 minutes from the local clock`
      : undefined;
  }
}

function sigV4Parts(headers: IncomingHttpHeaders, url: URL): SigV4Parts | undefined {
  const auth = AUTH_HEADER.exec(String(headers.authorization ?? '').trim());
  if (auth !== null) {
    const [, accessKeyId, , region, service, signed, signature] = auth as unknown as string[];
    const date = String(headers['x-amz-date'] ?? '');
    return {
      accessKeyId: accessKeyId ?? '',
      date,
      region: region ?? '',
      service: service ?? '',
      signedHeaders: (signed ?? '').toLowerCase().split(';'),
      signature: (signature ?? '').toLowerCase(),
    };
  }
  const q = url.searchParams;
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return undefined;
  const [accessKeyId, , region, service, terminator] = (q.get('X-Amz-Credential') ?? '').split('/');
  const signature = q.get('X-Amz-Signature') ?? '';
  if (!accessKeyId || !region || !service || terminator !== 'aws4_request' || !/^[0-9a-f]{64}$/.test(signature))
    return undefined;
  return {
    accessKeyId,
    date: q.get('X-Amz-Date') ?? '',
    region,
    service,
    signedHeaders: (q.get('X-Amz-SignedHeaders') ?? 'host').toLowerCase().split(';'),
    signature,
    expires: Number(q.get('X-Amz-Expires') ?? '900'),
  };
}

/** Re-signs the request as its sender should have, with the registered secret, and returns the signature. */
async function expectedSignature(
  request: SignedRequest,
  url: URL,
  parts: SigV4Parts,
  secretAccessKey: string,
): Promise<string> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: parts.accessKeyId, secretAccessKey },
    region: parts.region,
    service: parts.service,
    sha256: Sha256,
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    uriEscapePath: parts.service !== 's3',
    // Sign exactly the headers the sender signed: adding x-amz-content-sha256 would change the signature.
    applyChecksum: false,
  });
  const headers: Record<string, string> = {};
  for (const name of parts.signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    if (parts.expires !== undefined && RESIGNED_PARAMS.has(name)) continue;
    const prior = query[name];
    query[name] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  const signableHeaders = new Set(parts.signedHeaders);
  const signingDate = new Date(parseAmzDate(parts.date) ?? 0);
  const base = {
    method: request.method,
    protocol: 'http:',
    hostname: String(request.headers.host ?? '').replace(/:\d+$/, ''),
    path: url.pathname,
    query,
    headers,
  };
  if (parts.expires !== undefined) {
    // A presigned URL's payload is UNSIGNED-PAYLOAD for S3, the empty body's hash otherwise.
    const payload: Record<string, string> =
      parts.service === 's3' ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {};
    const presigned = await signer.presign(
      { ...base, headers: { ...headers, ...payload } },
      {
        signingDate,
        expiresIn: parts.expires,
        signableHeaders,
        unsignableHeaders: new Set(['x-amz-content-sha256']),
        unhoistableHeaders: new Set(['x-amz-content-sha256']),
      },
    );
    return String(presigned.query?.['X-Amz-Signature'] ?? '');
  }
  // bindingRefusal has let a payload other than a hash (UNSIGNED-PAYLOAD) through for S3 alone.
  const payloadHash = headers['x-amz-content-sha256'];
  if (payloadHash !== undefined && /^[0-9a-f]{64}$/i.test(payloadHash) && request.body !== undefined) {
    // The signature covers the declared hash; the body must match it too.
    if (createHash('sha256').update(request.body).digest('hex') !== payloadHash.toLowerCase()) return '';
  }
  const signed = await signer.sign(
    { ...base, body: payloadHash === undefined ? (request.body ?? Buffer.alloc(0)) : undefined },
    { signingDate, signableHeaders },
  );
  return /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** How the edge words a refusal: AWS's JSON error for the JSON protocols, S3's XML error for S3. */
export function refusalCode(failure: AuthFailure, protocol: 'json' | 's3'): string {
  if (protocol === 's3') {
    return {
      missing: 'AccessDenied',
      'unknown-key': 'InvalidAccessKeyId',
      'bad-signature': 'SignatureDoesNotMatch',
      expired: 'AccessDenied',
    }[failure];
  }
  return {
    missing: 'MissingAuthenticationTokenException',
    'unknown-key': 'UnrecognizedClientException',
    'bad-signature': 'InvalidSignatureException',
    expired: 'InvalidSignatureException',
  }[failure];
}
