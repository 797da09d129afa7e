import { createHash, randomBytes } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { PRESIGN_PARAMETERS } from '../aws/presign';

/**
 * Who calls the operator API, proven independently of the Lambda event (anyone allowed
 * `lambda:InvokeFunction` could write its `requestContext`): the caller presigns an
 * `sts:GetCallerIdentity` request, the function sends it to STS at an endpoint the function
 * fixes, and STS's answer names the principal (HashiCorp Vault's AWS auth, aws-iam-authenticator).
 * The presigned request signs the digest of the very operator request, and expires within minutes.
 */
export const CALLER_PROOF_HEADER = 'x-gantry-caller-proof';
/** The header the proof signs: sha256 of the operator request's method, path and body. */
export const REQUEST_DIGEST_HEADER = 'x-gantry-request-digest';
/** The longest a proof may live, in seconds: long enough for one call, too short to collect. */
export const MAX_PROOF_SECONDS = 300;
/**
 * A random value the proof also signs (as this header), carried beside the presigned query as
 * this parameter, which the verifier takes off and sends to STS as the header: two proofs of the
 * same request in the same second still differ, so a proof seen twice is a replay.
 */
export const PROOF_NONCE_PARAM = 'X-Gantry-Nonce';
export const PROOF_NONCE_HEADER = 'x-gantry-proof-nonce';
/**
 * The operator API the proof is for (its base URL, as `operatorAudience` spells it), carried and
 * signed like the nonce: a proof sent to a look-alike API, or to any other service taking
 * Gantry's proofs, is no proof for this one, and the refusal names the API it was meant for.
 */
export const PROOF_AUDIENCE_PARAM = 'X-Gantry-Audience';
export const PROOF_AUDIENCE_HEADER = 'x-gantry-proof-audience';
const NONCE = /^[0-9a-f]{32}$/;
const STS_QUERY = { Action: 'GetCallerIdentity', Version: '2011-06-15' } as const;

/** A request's query, as API Gateway hands it to the function: one value per name. */
export type RequestQuery = Readonly<Record<string, string | undefined>> | null | undefined;

/**
 * sha256 (hex) of `METHOD\npath\nbody`, the path relative to the API's stage (`/runs/r-1/decision`)
 * followed by its query, names sorted (`/runs?limit=5&status=FAILED`), so a proof for one read
 * (or one filter) is no proof for another.
 */
export function requestDigest(method: string, path: string, body: string, query?: RequestQuery): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${path}${canonicalQuery(query)}\n${body}`)
    .digest('hex');
}

function canonicalQuery(query: RequestQuery): string {
  const pairs = Object.entries(query ?? {})
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`;
}

/**
 * An operator API's audience: its base URL (scheme, host, port and the stage's path, ending in
 * `/`), with no query or fragment. The caller signs the URL it sends to; the API compares it with
 * its own, so both sides spell it through this.
 */
export function operatorAudience(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.origin}${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}`;
}

/** STS's endpoint for a region (the one a deployed function and its callers agree on), in its partition's domain. */
export function stsEndpointFor(region: string): string {
  const domain = region.startsWith('cn-')
    ? 'amazonaws.com.cn'
    : region.startsWith('us-isob-')
      ? 'sc2s.sgov.gov'
      : region.startsWith('us-iso-')
        ? 'c2s.ic.gov'
        : 'amazonaws.com';
  return `https://sts.${region}.${domain}`;
}

export interface ProofSigning {
  readonly credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
  readonly region: string;
  /** Where the function will send the proof: STS in AWS, the local edge in local mode. */
  readonly stsEndpoint: string;
  /** The operator API the request goes to (`operatorAudience` of its base URL). */
  readonly audience: string;
  readonly method: string;
  readonly path: string;
  readonly body: string;
  /** The request's query string parameters. @default none */
  readonly query?: RequestQuery;
  /** @default 60 */
  readonly expiresIn?: number;
  readonly signingDate?: Date;
  /** 16 random bytes, hex. @default new ones */
  readonly nonce?: string;
}

/** The proof header's value for one operator request: a presigned GetCallerIdentity query. */
export async function signCallerProof(input: ProofSigning): Promise<string> {
  const url = new URL(input.stsEndpoint);
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: 'sts',
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: '/',
      query: { ...STS_QUERY },
      headers: {
        host: url.host,
        [REQUEST_DIGEST_HEADER]: requestDigest(input.method, input.path, input.body, input.query),
        [PROOF_NONCE_HEADER]: nonce,
        [PROOF_AUDIENCE_HEADER]: input.audience,
      },
    },
    { expiresIn: input.expiresIn ?? 60, ...(input.signingDate ? { signingDate: input.signingDate } : {}) },
  );
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(presigned.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== null) query.append(name, v);
  }
  query.append(PROOF_NONCE_PARAM, nonce);
  query.append(PROOF_AUDIENCE_PARAM, input.audience);
  return query.toString();
}

export type CallerIdentity =
  | { readonly ok: true; readonly principal: string }
  | { readonly ok: false; readonly status: 401 | 403 | 503; readonly code: string; readonly message: string };

/** Establishes who made an operator request from its proof (a port: STS in AWS, the edge locally). */
export interface CallerVerifier {
  /**
   * `claimed`: the principal API Gateway's authorizer names, when it names one. A proof of someone
   * else is answered (the caller refuses it as a mismatch) but not used up.
   */
  verify(proof: string | undefined, digest: string, claimed?: string): Promise<CallerIdentity>;
}

const refuse = (status: 401 | 403 | 503, code: string, message: string): CallerIdentity => ({
  ok: false,
  status,
  code,
  message,
});

/**
 * Verifies a proof by asking STS itself. The endpoint is the function's (never the caller's): a
 * proof signed for another host, another request, or by nobody STS knows fails STS's own check.
 * The audience is the API's own base URL (from its configuration, never from the request): a
 * proof naming another API is refused before STS is asked, and one that names this API but was
 * signed for another fails STS's check.
 */
export class StsCallerVerifier implements CallerVerifier {
  private readonly audiences: readonly string[];

  constructor(
    private readonly stsEndpoint: string,
    /** Its own base URL, then any others callers reach it by (custom domains), as `operatorAudience` spells them. */
    audience: string | readonly string[],
    private readonly fetchFn: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {
    this.audiences = typeof audience === 'string' ? [audience] : audience;
  }

  async verify(proof: string | undefined, digest: string): Promise<CallerIdentity> {
    if (!proof)
      return refuse(
        401,
        'no_caller_proof',
        `send ${CALLER_PROOF_HEADER}: a presigned sts:GetCallerIdentity query signing ${REQUEST_DIGEST_HEADER} (the gantry CLI does this)`,
      );
    const query = new URLSearchParams(proof);
    const shape = proofShape(query, this.now());
    if (shape !== undefined) return refuse(403, 'bad_caller_proof', shape);
    const audience = query.get(PROOF_AUDIENCE_PARAM) ?? '';
    if (!this.audiences.includes(audience))
      return refuse(
        403,
        'caller_proof_wrong_api',
        `the caller proof was signed for ${shown(audience)}, not this operator API (${this.audiences.join(' or ')}): send requests to ${this.audiences[0]} (with the gantry CLI, check GANTRY_OPERATOR_API_URL; a custom domain goes under operatorApi.urls in gantry.config.yaml)`,
      );
    const nonce = query.get(PROOF_NONCE_PARAM) ?? '';
    query.delete(PROOF_NONCE_PARAM);
    query.delete(PROOF_AUDIENCE_PARAM);
    const url = `${this.stsEndpoint.replace(/\/$/, '')}/?${query.toString()}`;
    const headers = {
      [REQUEST_DIGEST_HEADER]: digest,
      [PROOF_NONCE_HEADER]: nonce,
      // The value it compared with its own: one of the URLs it was configured with, never the caller's alone.
      [PROOF_AUDIENCE_HEADER]: audience,
    };
    let answer: Response;
    try {
      answer = await this.fetchFn(url, { method: 'GET', headers });
    } catch {
      return refuse(403, 'caller_unverified', 'STS could not be reached to verify the caller proof; try again');
    }
    const text = await answer.text();
    if (!answer.ok) {
      const reason = /<Message>([^<]*)<\/Message>|"message"\s*:\s*"([^"]*)"/.exec(text);
      return refuse(
        403,
        'caller_proof_refused',
        `STS refused the caller proof (${reason?.[1] ?? reason?.[2] ?? answer.status}): sign it for this very request, with your current credentials, just before sending`,
      );
    }
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
    if (!arn?.startsWith('arn:')) return refuse(403, 'caller_unverified', 'STS answered without a caller ARN');
    return { ok: true, principal: arn };
  }
}

/** A caller's URL as a refusal (and the ledger) may repeat it: printable ASCII only, or not at all. */
function shown(url: string): string {
  return /^https?:\/\/[\x21-\x7e]{1,200}$/.test(url) ? url : 'an unreadable URL';
}

/** Why a proof is not a short-lived GetCallerIdentity query bound to a request digest, or undefined. */
function proofShape(query: URLSearchParams, now: number): string | undefined {
  for (const name of new Set(query.keys())) {
    if (query.getAll(name).length > 1) return `the caller proof repeats ${name}`;
    if (
      !(name in STS_QUERY) &&
      !PRESIGN_PARAMETERS.has(name) &&
      name !== PROOF_NONCE_PARAM &&
      name !== PROOF_AUDIENCE_PARAM
    )
      return `the caller proof carries ${name}; send only the presigned GetCallerIdentity query`;
  }
  if (query.get('Action') !== STS_QUERY.Action || query.get('Version') !== STS_QUERY.Version)
    return 'the caller proof must be a presigned sts:GetCallerIdentity (Version 2011-06-15)';
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !query.get('X-Amz-Signature'))
    return 'the caller proof must be presigned with SigV4 (AWS4-HMAC-SHA256)';
  const signed = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signed.includes('host') || !signed.includes(REQUEST_DIGEST_HEADER))
    return `the caller proof must sign host and ${REQUEST_DIGEST_HEADER}, binding it to this request`;
  const nonce = query.get(PROOF_NONCE_PARAM);
  if (nonce === null || !signed.includes(PROOF_NONCE_HEADER))
    return `the caller proof must carry ${PROOF_NONCE_PARAM} and sign it as ${PROOF_NONCE_HEADER}: sign it with a current gantry CLI, which does`;
  if (!NONCE.test(nonce)) return `the caller proof's ${PROOF_NONCE_PARAM} must be 32 hex digits`;
  if (query.get(PROOF_AUDIENCE_PARAM) === null || !signed.includes(PROOF_AUDIENCE_HEADER))
    return `the caller proof must carry ${PROOF_AUDIENCE_PARAM}, the operator API's URL, and sign it as ${PROOF_AUDIENCE_HEADER}: sign it with a current gantry CLI, which does`;
  // The form SigV4 writes: one spelling per proof, so the used-proof key cannot be dodged by re-spelling it.
  if (!/^[0-9a-f]{64}$/.test(query.get('X-Amz-Signature') ?? ''))
    return 'the caller proof’s X-Amz-Signature must be 64 lower-case hex digits';
  const expires = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PROOF_SECONDS)
    return `the caller proof must expire within ${MAX_PROOF_SECONDS} seconds (X-Amz-Expires)`;
  const window = proofWindow(query);
  if (window === undefined) return 'the caller proof has no valid X-Amz-Date';
  if (window.signedAt > now + 5 * 60_000) return 'the caller proof is dated in the future: check your clock';
  if (now > window.expiresAt) return 'the caller proof has expired: sign a fresh one for each request';
  return undefined;
}

/** When a proof was signed and when it expires (epoch ms), from its X-Amz-Date and X-Amz-Expires. */
function proofWindow(query: URLSearchParams): { signedAt: number; expiresAt: number } | undefined {
  const signedAt = amzDate(query.get('X-Amz-Date') ?? '');
  return signedAt === undefined
    ? undefined
    : { signedAt, expiresAt: signedAt + Number(query.get('X-Amz-Expires')) * 1000 };
}

function amzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m === null
    ? undefined
    : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Proofs already acted on (a port: items of the deliveries table in AWS and locally). */
export interface UsedProofs {
  /** Claims a proof until `expiresAt` (epoch ms); false when it was claimed before. */
  claim(proofId: string, expiresAt: number): Promise<boolean>;
}

/**
 * A proof answers one request, once. STS accepts a presigned query as often as it is sent until it
 * expires, so a proof copied from a request (a proxy's log, a shell's history, a page that was
 * sent it) could act again, as its signer, with the same body; the second time it is refused.
 * Only proofs STS accepted are claimed: a stranger cannot fill the table, nor spend someone's proof
 * before they send it without holding it.
 */
export class OnceCallerVerifier implements CallerVerifier {
  constructor(
    private readonly inner: CallerVerifier,
    private readonly used: UsedProofs,
  ) {}

  async verify(proof: string | undefined, digest: string, claimed?: string): Promise<CallerIdentity> {
    const caller = await this.inner.verify(proof, digest, claimed);
    // Someone else's proof under your own authorization is refused as a mismatch, and not spent:
    // holding a proof must not be enough to use it up before its signer sends it.
    if (!caller.ok || proof === undefined || (claimed !== undefined && claimed !== caller.principal)) return caller;
    const query = new URLSearchParams(proof);
    // The inner verifier refused any proof without a valid date, so the window is there.
    const expiresAt = proofWindow(query)?.expiresAt ?? 0;
    // The signature covers the request's digest, the date and the nonce: it names this proof.
    const id = createHash('sha256')
      .update(query.get('X-Amz-Signature') ?? '')
      .digest('hex');
    let fresh: boolean;
    try {
      fresh = await this.used.claim(id, expiresAt);
    } catch (error) {
      return refuse(
        503,
        'caller_proof_unrecorded',
        `the caller proof could not be recorded as used (${error instanceof Error ? error.name : 'error'}), so it was not acted on: try again with a fresh proof`,
      );
    }
    if (fresh) return caller;
    return refuse(
      403,
      'caller_proof_replayed',
      'this caller proof was used before: a proof answers one request, so sign a fresh one for each (the gantry CLI does)',
    );
  }
}
