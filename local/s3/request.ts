import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PRESIGN_PARAMETERS } from '../../shared/aws/presign';
import { notImplemented, S3Error } from './errors';

/** One S3 request, addressed path-style (`/<bucket>/<key>`) or virtual-host style (`<bucket>.localhost`). */
export interface S3Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly bucket?: string;
  /** The object key, percent-decoded; undefined for a bucket-level request. */
  readonly key?: string;
  /** The body when the caller already read it (the edge reads bodies before routing). */
  readonly body?: Buffer;
  readonly requestId: string;
}

const VIRTUAL_HOST = /^([a-z0-9][a-z0-9.-]*[a-z0-9])\.localhost(?::\d+)?$/;

/** Which bucket and key a request names, or neither (ListBuckets). */
export function addressOf(req: IncomingMessage, url: URL): { bucket?: string; key?: string } {
  const virtual = VIRTUAL_HOST.exec(req.headers.host ?? '');
  if (virtual?.[1] !== undefined) {
    const key = decode(url.pathname.slice(1));
    return { bucket: virtual[1], ...(key === '' ? {} : { key }) };
  }
  const path = url.pathname.slice(1);
  if (path === '') return {};
  const slash = path.indexOf('/');
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decode(path.slice(slash + 1));
  return { bucket, ...(key === '' ? {} : { key }) };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidArgument', 'The request path is not valid percent-encoding');
  }
}

/** One request header's value, the first when repeated. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Refuses a query parameter outside `allowed`: each names an S3 feature (`?acl`, `?tagging`,
 * `?uploads`, `?versionId`, …) that the emulator would otherwise silently ignore.
 */
export function refuseUnknownParameters(url: URL, allowed: readonly string[], operation: string): void {
  for (const name of url.searchParams.keys()) {
    if (name !== 'x-id' && !PRESIGN_PARAMETERS.has(name) && !allowed.includes(name))
      throw notImplemented(`${operation} with "?${name}"`);
  }
}

/** Refuses a request header that asks for a feature the emulator does not have. */
export function refuseHeaders(req: IncomingMessage, names: readonly string[], operation: string): void {
  for (const name of names) {
    if (header(req, name) !== undefined) throw notImplemented(`${operation} with the ${name} header`);
  }
}

/** Sends an answer with the headers every S3 response carries. */
export function send(request: S3Request, status: number, headers: OutgoingHttpHeaders, body?: string | Buffer): void {
  request.res
    .writeHead(status, {
      'x-amz-request-id': request.requestId,
      'x-amz-id-2': request.requestId,
      date: new Date().toUTCString(),
      server: 'AmazonS3',
      ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
      ...headers,
    })
    .end(request.req.method === 'HEAD' ? undefined : body);
}

/** Sends an XML document. */
export function sendXml(request: S3Request, status: number, xml: string): void {
  send(request, status, { 'content-type': 'application/xml' }, xml);
}

/** Consumes a body the operation does not use, so the connection can be reused. */
export async function drain(request: S3Request): Promise<void> {
  if (request.body !== undefined || request.req.readableEnded) return;
  for await (const _chunk of request.req) {
    // discarded: CreateBucket's location constraint means nothing locally
  }
}
