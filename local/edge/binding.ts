import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the edge will do with a request, decided from the request before its signature is
 * checked: which service answers it and in which region. A signature counts only for that.
 */
export interface ServedCall {
  /**
   * The SigV4 signing name of the service that answers (`s3`, `sts`, `secretsmanager`,
   * `monitoring`, …); undefined when no AWS service does (a local-only route, an X-Amz-Target
   * nothing serves, which the edge answers itself).
   */
  readonly service: string | undefined;
  /** The one region local mode serves. */
  readonly region: string;
}

/** The parts of a SigV4 signature that say what it was made for. */
export interface SignatureScope {
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  /** Seconds: set for a presigned URL only. */
  readonly expires?: number;
}

/** The request as the edge received it. */
export interface BoundRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Undefined when the edge streams the body on (S3) rather than reading it first. */
  readonly body?: Buffer | undefined;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Why a signature, however valid, does not authorize this request, or undefined when it does.
 * SigV4 proves only what it covers: the signature must be scoped to the service that answers
 * and the region served, sign the host and (for the JSON protocols) X-Amz-Target, and cover the
 * body, which only S3 may leave out (`UNSIGNED-PAYLOAD`). A presigned URL signs no body and no
 * operation header: it is honoured only for a body-less GET or HEAD served by S3, or for STS
 * GetCallerIdentity (Gantry's caller proofs).
 */
export function bindingRefusal(scope: SignatureScope, request: BoundRequest, served: ServedCall): string | undefined {
  if (!scope.signedHeaders.includes('host'))
    return "'Host' must be a SignedHeader: a signature that leaves it out could be sent to any endpoint";
  if (scope.region !== served.region)
    return `Credential should be scoped to a valid region: local mode serves ${served.region}, not '${scope.region}'`;
  if (served.service !== undefined && scope.service !== served.service)
    return `Credential should be scoped to correct service: '${served.service}' (the signature is scoped to '${scope.service}', and ${served.service} answers this request)`;
  const target = header(request.headers, 'x-amz-target');
  if (scope.expires !== undefined) return presignRefusal(request, served, target);
  if (target !== undefined && !scope.signedHeaders.includes('x-amz-target'))
    return "'X-Amz-Target' must be a SignedHeader: it names the operation the signature authorizes";
  const payload = header(request.headers, 'x-amz-content-sha256');
  if (payload === undefined) return undefined;
  if (!scope.signedHeaders.includes('x-amz-content-sha256'))
    return "'x-amz-content-sha256' must be a SignedHeader when it is sent: it stands for the body";
  if (served.service !== 's3' && !HEX_SHA256.test(payload))
    return `x-amz-content-sha256 ${payload} leaves the body unsigned, which only S3 allows: sign the body's SHA-256`;
  return undefined;
}

function presignRefusal(request: BoundRequest, served: ServedCall, target: string | undefined): string | undefined {
  if (target !== undefined)
    return 'a presigned URL signs no X-Amz-Target: JSON-protocol calls must be signed in the Authorization header';
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return `a presigned URL is honoured for GET and HEAD only, not ${request.method}: it signs no body`;
  if (hasBody(request)) return 'a presigned URL signs no body: send it without one';
  if (served.service === 's3') return undefined;
  if (served.service === 'sts' && request.url.searchParams.get('Action') === 'GetCallerIdentity') return undefined;
  return `a presigned URL is honoured for S3 and STS GetCallerIdentity only, not for ${served.service ?? 'this request'}`;
}

function hasBody(request: BoundRequest): boolean {
  if (request.body !== undefined) return request.body.length > 0;
  const length = header(request.headers, 'content-length');
  return header(request.headers, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
