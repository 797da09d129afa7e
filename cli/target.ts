import { Sha256 } from '@aws-crypto/sha256-js';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RuntimeInfo } from '../local/discovery';
import {
  CALLER_PROOF_HEADER,
  operatorAudience,
  signCallerProof,
  stsEndpointFor,
} from '../shared/operators/caller-proof';
import { discoverLocalPlane } from './discover';
import { UsageError } from './errors';
import { dataDirOption } from './options';

/** Where the CLI's calls go: a running local control plane, or an AWS account. */
export type Target =
  | { readonly kind: 'local'; readonly info: RuntimeInfo; readonly clientConfig: ClientConfig }
  | {
      readonly kind: 'aws';
      readonly region: string;
      readonly profile: string | undefined;
      readonly clientConfig: ClientConfig;
    };

export type ClientConfig = {
  endpoint?: string;
  region?: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

export interface TargetOptions {
  /** Talk to AWS in this region (the standard credential chain signs the calls). */
  readonly region?: string;
  /** Talk to AWS with this named profile (its credentials, and its region unless --region says otherwise). */
  readonly profile?: string;
  readonly dataDir?: string;
}

/** What to do when neither a local control plane nor an AWS region can be found. */
export const NO_TARGET =
  'no local control plane is running here and no AWS region is set: run `npm start` for local mode, or choose AWS with --region <region>, AWS_REGION, or --profile <profile> (whose config names a region)';

/**
 * Local mode when it is running from this folder (and neither --region nor --profile was given);
 * AWS through the standard credential chain otherwise, so the same commands serve both.
 */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.region === undefined && options.profile === undefined) {
    const dataDir = dataDirOption(options.dataDir);
    const info = discoverLocalPlane(dataDir);
    if (info !== undefined) {
      sayLocalOverAws(dataDir);
      return {
        kind: 'local',
        info,
        clientConfig: {
          endpoint: info.awsEndpoint,
          region: info.region,
          // The session's operator: the edge refuses credentials it did not issue.
          credentials: info.operator ?? { accessKeyId: 'local', secretAccessKey: 'local' },
        },
      };
    }
  }
  const profile = options.profile;
  const region = options.region ?? (await configuredRegion(profile));
  if (region === undefined) throw new UsageError(NO_TARGET);
  return { kind: 'aws', region, profile, clientConfig: { region, ...(profile ? { profile } : {}) } };
}

/**
 * Local mode wins over AWS_REGION and AWS_PROFILE (only the flags choose AWS), but not silently:
 * someone who exported them for an AWS account is told their calls go to the local plane.
 */
function sayLocalOverAws(dataDir: string): void {
  const set = ['AWS_REGION', 'AWS_PROFILE'].filter((name) => process.env[name]);
  if (set.length === 0) return;
  process.stderr.write(
    `gantry: using the local control plane of ${dataDir}/, not AWS, although ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set: pass --region or --profile for AWS\n`,
  );
}

/** The region the SDK would use (AWS_REGION, the profile's config), or undefined when none is set. */
async function configuredRegion(profile: string | undefined): Promise<string | undefined> {
  try {
    return await new CloudFormationClient(profile ? { profile } : {}).config.region();
  } catch {
    return undefined;
  }
}

export interface Decision {
  readonly runId: string;
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
  /** Local mode only: who the caller is (in AWS, the caller's IAM principal is). */
  readonly as?: string;
}

/** Sends an approval decision to the operator API: IAM-signed in AWS, as the named identity locally. */
export async function sendDecision(
  target: Target,
  decision: Decision,
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (target.kind === 'local' && !decision.as)
    throw new UsageError(
      'in local mode, say who decides with --as <identity> (in AWS your IAM principal is the approver)',
    );
  return callOperatorApi(
    target,
    `runs/${encodeURIComponent(decision.runId)}/decision`,
    { decision: decision.decision, reason: decision.reason },
    decision.as,
  );
}

/**
 * POSTs to the operator API: IAM-signed in AWS (the caller's principal is who acts), locally
 * as the named identity.
 */
export async function callOperatorApi(
  target: Target,
  path: string,
  payload: Record<string, unknown>,
  as?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (target.kind === 'local' && !as)
    throw new UsageError(
      'in local mode, say who acts with --as <identity> (an identity of gantry.config.yaml; in AWS your IAM principal acts)',
    );
  return operatorRequest(target, 'POST', path, JSON.stringify(payload), {}, as);
}

/** The local principal the CLI reads runs as (reads need no identity of the config). */
const LOCAL_READER = 'gantry-operator';

/**
 * GETs from the operator API (runs as `publicRun` shows them), signed like the POSTs: reading
 * runs needs only execute-api:Invoke, never the runs table.
 */
export async function readOperatorApi(
  target: Target,
  path: string,
  query: Readonly<Record<string, string>> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return operatorRequest(target, 'GET', path, '', query, target.kind === 'local' ? LOCAL_READER : undefined);
}

async function operatorRequest(
  target: Target,
  method: 'GET' | 'POST',
  path: string,
  body: string,
  query: Readonly<Record<string, string>>,
  as: string | undefined,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const search = new URLSearchParams(query).toString();
  if (target.kind === 'local') {
    const headers = await localOperatorHeaders(target.info, path, body, as ?? LOCAL_READER, method, query);
    return send(`${target.info.webhookUrl}/${path}${search ? `?${search}` : ''}`, method, body, headers);
  }
  if (as)
    throw new UsageError('--as is for local mode; in AWS you act as the IAM principal your credentials belong to');
  const base = await operatorApiUrl(target);
  const url = new URL(path, base);
  const region = regionOf(base) ?? target.region;
  const credentials = fromNodeProviderChain(target.profile ? { profile: target.profile } : {});
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  // Who acts is proven to the function itself (STS), not only to API Gateway's authorizer.
  const proof = await signCallerProof({
    credentials,
    region,
    stsEndpoint: stsEndpointFor(region),
    // The API this request goes to: a proof sent to another URL is no proof for the real one.
    audience: operatorAudience(base),
    method,
    path: `/${path}`,
    body,
    query,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query: { ...query },
    headers: { host: url.host, 'content-type': 'application/json', [CALLER_PROOF_HEADER]: proof },
    ...(method === 'POST' ? { body } : {}),
  });
  return send(`${url.toString()}${search ? `?${search}` : ''}`, method, body, signed.headers as Record<string, string>);
}

/**
 * The headers of a local operator API call acting as `as`: the session's token (which lets the
 * operator name whom it acts as), and the caller proof signed with credentials the edge issues
 * for that identity, which the operator API's function verifies through the edge (STS locally).
 */
export async function localOperatorHeaders(
  info: Pick<RuntimeInfo, 'awsEndpoint' | 'region' | 'token' | 'operatorApiUrl'>,
  path: string,
  body: string,
  as: string,
  method = 'POST',
  query: Readonly<Record<string, string>> = {},
): Promise<Record<string, string>> {
  const bearer: Record<string, string> = info.token === undefined ? {} : { authorization: `Bearer ${info.token}` };
  const res = await fetch(`${info.awsEndpoint}/_gantry/credentials`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer },
    body: JSON.stringify({ principal: as }),
  });
  const out = (await res.json().catch(() => ({}))) as {
    accessKeyId?: string;
    secretAccessKey?: string;
    message?: string;
  };
  if (!res.ok || !out.accessKeyId || !out.secretAccessKey)
    throw new UsageError(
      `the local control plane issued no credentials for ${as} (${out.message ?? res.status}): is it running from this folder?`,
    );
  const proof = await signCallerProof({
    credentials: { accessKeyId: out.accessKeyId, secretAccessKey: out.secretAccessKey },
    region: info.region,
    // The operator API's function sends the proof to the edge, standing in for STS.
    stsEndpoint: info.awsEndpoint,
    audience: localOperatorAudience(info),
    method,
    path: `/${path}`,
    body,
    query,
  });
  return {
    'content-type': 'application/json',
    'x-gantry-principal': as,
    [CALLER_PROOF_HEADER]: proof,
    // X-Gantry-Principal counts only together with the session's token.
    ...bearer,
  };
}

/**
 * The audience a local plane's operator API takes proofs for: its URL as its template names it (the
 * front door stands in for it on loopback), which the plane writes to runtime.json.
 */
function localOperatorAudience(info: Pick<RuntimeInfo, 'operatorApiUrl'>): string {
  if (info.operatorApiUrl === undefined)
    throw new UsageError(
      'the local control plane did not say which operator API URL proofs are for: restart it with this version of gantry',
    );
  return operatorAudience(info.operatorApiUrl);
}

/** The operator API's URL: GANTRY_OPERATOR_API_URL, or the GantryControlPlane stack's output. */
async function operatorApiUrl(target: Extract<Target, { kind: 'aws' }>): Promise<string> {
  const fromEnv = process.env.GANTRY_OPERATOR_API_URL;
  if (fromEnv) return fromEnv.endsWith('/') ? fromEnv : `${fromEnv}/`;
  const stacks = await new CloudFormationClient(target.clientConfig).send(
    new DescribeStacksCommand({ StackName: 'GantryControlPlane' }),
  );
  const url = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'OperatorApiUrl')?.OutputValue;
  if (!url)
    throw new UsageError('GantryControlPlane has no OperatorApiUrl output: deploy it, or set GANTRY_OPERATOR_API_URL');
  return url;
}

function regionOf(url: string): string | undefined {
  return /execute-api\.([a-z0-9-]+)\./.exec(url)?.[1];
}

async function send(url: string, method: 'GET' | 'POST', body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method, headers, ...(method === 'POST' ? { body } : {}) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { message: text };
  }
  return { status: res.status, body: parsed };
}
