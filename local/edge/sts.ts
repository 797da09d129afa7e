import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { arnAccount } from '../arn';
import type { IdentityRegistry, Principal } from './identity';
import type { EdgeRestService } from './server';

const ACCOUNT = '000000000000';
const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The account a principal belongs to: a role's (its ARN says), else the control plane's. */
export function accountOf(principal: Principal): string {
  const arn = principal.kind === 'role' ? principal.roleArn : principal.kind === 'user' ? principal.arn : '';
  return arnAccount(arn) ?? ACCOUNT;
}

/** The ARN STS would name an authenticated local principal by. */
export function arnOf(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.arn;
    case 'role':
      return `arn:aws:sts::${accountOf(principal)}:assumed-role/${principal.roleName}/${principal.sessionName ?? 'gantry-local'}`;
    case 'operator':
      return `arn:aws:iam::${ACCOUNT}:user/gantry-operator`;
    case 'internal':
      return `arn:aws:iam::${ACCOUNT}:user/gantry-internal`;
  }
}

/** What AssumeRole asks, as the edge parsed it. */
export interface AssumeRoleCall {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  /** How long the session is asked for (the role's MaxSessionDuration bounds it). */
  readonly durationSeconds?: number;
}

/** STS's bound on a session assumed with another role session's credentials (role chaining). */
const CHAINED_MAX_SECONDS = 3600;

/** Decides an AssumeRole (local IAM: the role's trust policy): the session's principal, or why not. */
export type AssumeRoleDecider = (
  caller: Principal,
  call: AssumeRoleCall,
) => { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

export interface StsOptions {
  /** Where issued credentials are registered; without it (or `assumeRole`) AssumeRole is refused. */
  readonly identity?: IdentityRegistry;
  readonly assumeRole?: AssumeRoleDecider;
}

/** A call for STS: its query names the action, or its signature is scoped to the `sts` service (the SDK POSTs a form). */
export function isStsRequest(req: Pick<IncomingMessage, 'headers'>, url: URL): boolean {
  if (url.pathname !== '/') return false;
  if (url.searchParams.get('Action') === 'GetCallerIdentity') return true;
  const credential = /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([^/\s,]+)\//i.exec(
    String(req.headers.authorization ?? ''),
  );
  return (credential?.[1] ?? url.searchParams.get('X-Amz-Credential')?.split('/')[3]) === 'sts';
}

/**
 * STS on the query protocol (XML answers) for credentials this edge issued; the edge has verified
 * the request's SigV4 signature (header or presigned) before this answers. GetCallerIdentity
 * names the caller; AssumeRole issues temporary credentials for a role of the templates when
 * local IAM allows it, registered so that later calls are authorized as the role's session.
 */
export function stsService(options: StsOptions = {}): EdgeRestService {
  return {
    name: 'sts',
    signingName: 'sts',
    accepts: (req: IncomingMessage, url: URL) => isStsRequest(req, url),
    handle: async (req: IncomingMessage, res: ServerResponse, url: URL, principal?: Principal) => {
      const params = await paramsOf(req, url);
      if (principal === undefined) return stsError(res, 403, 'AccessDenied', 'the caller was not authenticated');
      const action = params.get('Action');
      if (action === 'GetCallerIdentity') return callerIdentity(res, principal);
      if (action === 'AssumeRole') return assumeRole(res, principal, params, options);
      stsError(res, 400, 'InvalidAction', `STS ${action ?? '(no Action)'} is not served by Gantry local mode`);
    },
  };
}

function callerIdentity(res: ServerResponse, principal: Principal): void {
  const arn = arnOf(principal);
  res
    .writeHead(200, { 'content-type': 'text/xml' })
    .end(
      `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>${xmlEscape(arn)}</Arn><UserId>${xmlEscape(arn.split('/').pop() ?? arn)}</UserId><Account>${accountOf(principal)}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
}

function assumeRole(res: ServerResponse, caller: Principal, params: URLSearchParams, options: StsOptions): void {
  const parsed = assumeRoleCall(params);
  if (typeof parsed === 'string') return void stsError(res, 400, 'ValidationError', parsed);
  const seconds = Number(params.get('DurationSeconds') ?? '3600');
  if (!Number.isInteger(seconds) || seconds < 900 || seconds > 43_200)
    return void stsError(res, 400, 'ValidationError', 'DurationSeconds must be between 900 and 43200');
  if (caller.kind === 'role' && caller.sessionName !== undefined && seconds > CHAINED_MAX_SECONDS)
    return void stsError(
      res,
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  const call = { ...parsed, durationSeconds: seconds };
  const decision = options.assumeRole?.(caller, call) ?? { ok: false as const, reason: 'local mode assumes no roles' };
  if (!decision.ok || options.identity === undefined) {
    const reason = decision.ok ? 'local mode issues no credentials' : decision.reason;
    return void stsError(
      res,
      403,
      'AccessDenied',
      `User: ${arnOf(caller)} is not authorized to perform: sts:AssumeRole on resource: ${call.roleArn} ${reason}`,
    );
  }
  const issued = options.identity.issueSession(decision.principal, seconds);
  const arn = arnOf(decision.principal);
  res
    .writeHead(200, { 'content-type': 'text/xml' })
    .end(
      `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId><SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey><SessionToken>${issued.sessionToken}</SessionToken><Expiration>${new Date(issued.expiresAt).toISOString()}</Expiration></Credentials><AssumedRoleUser><Arn>${xmlEscape(arn)}</Arn><AssumedRoleId>AROALOCAL:${xmlEscape(call.sessionName)}</AssumedRoleId></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
}

/** STS's tag key and value syntax (`\p{Z}` but no control character: a value never breaks a log line). */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** AssumeRole's parameters, or what is wrong with them (STS's own validation). */
function assumeRoleCall(params: URLSearchParams): AssumeRoleCall | string {
  const roleArn = params.get('RoleArn') ?? '';
  const sessionName = params.get('RoleSessionName') ?? '';
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn))
    return `RoleArn ${roleArn} is not a role ARN`;
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
    return 'RoleSessionName must be 2 to 64 characters of letters, digits and +=,.@_-';
  const tags: { key: string; value: string }[] = [];
  for (let i = 1; params.has(`Tags.member.${i}.Key`); i++)
    tags.push({ key: params.get(`Tags.member.${i}.Key`) ?? '', value: params.get(`Tags.member.${i}.Value`) ?? '' });
  if (tags.length > 50) return 'at most 50 session tags';
  const keys = new Set<string>();
  for (const { key, value } of tags) {
    if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:'))
      return `session tag key "${key}" must be 1 to 128 characters of letters, digits, spaces and _.:/=+-@, not starting with aws:`;
    if (!TAG_VALUE.test(value))
      return `session tag ${key}'s value must be at most 256 characters of letters, digits, spaces and _.:/=+-@`;
    // STS compares tag keys case-insensitively: a second spelling would let a policy see one value and a log another.
    if (keys.has(key.toLowerCase())) return `Duplicate tag keys found (${key}): tag keys are case insensitive`;
    keys.add(key.toLowerCase());
  }
  return { roleArn, sessionName, tags };
}

/** The query's parameters and, for a POST, the form body's. */
async function paramsOf(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  if (req.method !== 'POST') return params;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.set(k, v);
  return params;
}

/** STS's query-protocol error document, which the SDK turns into an exception named by `code`. */
function stsError(res: ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { 'content-type': 'text/xml' })
    .end(
      `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
