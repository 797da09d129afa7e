import type { OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder } from './chunked';
import { notImplemented, S3Error } from './errors';
import type { ObjectMetadata, StoredObject } from './metadata';
import { parseRange } from './range';
import { header, refuseHeaders, refuseUnknownParameters, type S3Request, send } from './request';
import type { S3Store } from './store';

type ObjectRequest = S3Request & { readonly bucket: string; readonly key: string };

const UNSUPPORTED_PUT_HEADERS = [
  'x-amz-copy-source',
  'x-amz-tagging',
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
  'x-amz-website-redirect-location',
  'x-amz-grant-full-control',
  'x-amz-grant-read',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'if-match',
];
/** Canned ACLs that mean what a single-owner local store already does. */
const HARMLESS_ACLS = new Set(['private', 'bucket-owner-full-control']);
const READ_PARAMETERS = ['versionId'];
const RESPONSE_OVERRIDES = [
  'response-content-type',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-cache-control',
  'response-expires',
];

/**
 * PutObject: the body (plain or aws-chunked) streamed to disk, MD5 as the ETag, metadata in the
 * sidecar; on a versioned bucket the new version's id as `x-amz-version-id`.
 */
export async function putObject(store: S3Store, request: ObjectRequest): Promise<void> {
  refuseUnknownParameters(request.url, [], 'PutObject');
  refuseHeaders(request.req, UNSUPPORTED_PUT_HEADERS, 'PutObject');
  const acl = header(request.req, 'x-amz-acl');
  if (acl !== undefined && !HARMLESS_ACLS.has(acl)) throw notImplemented(`PutObject with the canned ACL "${acl}"`);
  const storageClass = header(request.req, 'x-amz-storage-class');
  if (storageClass !== undefined && storageClass !== 'STANDARD') {
    throw notImplemented(`PutObject with storage class ${storageClass}`);
  }
  const signedPayload = signedPayloadHash(request);
  const decoder = isChunked(request) ? new AwsChunkedDecoder() : undefined;
  const source: Readable = request.body === undefined ? request.req : Readable.from([request.body]);
  const body = decoder === undefined ? source : source.pipe(decoder);
  source.on('error', (error) => decoder?.destroy(error));
  const contentMd5 = header(request.req, 'content-md5');
  const ifNoneMatch = header(request.req, 'if-none-match');
  const stored = await store.putObject(request.bucket, request.key, body, {
    metadata: metadataFrom(request),
    checksumCrc32: () => header(request.req, 'x-amz-checksum-crc32') ?? decoder?.trailers['x-amz-checksum-crc32'],
    ...(contentMd5 === undefined ? {} : { contentMd5 }),
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    ...(signedPayload === undefined ? {} : { contentSha256: signedPayload }),
  });
  send(request, 200, { etag: `"${stored.etag}"`, ...versionHeader(stored.versionId) }, '');
}

/**
 * GetObject and HeadObject: one range at most, conditional headers, response-* overrides, and
 * `?versionId=` for an older version (whose id, like the current one's, is `x-amz-version-id`).
 */
export async function getObject(store: S3Store, request: ObjectRequest): Promise<void> {
  const operation = request.req.method === 'HEAD' ? 'HeadObject' : 'GetObject';
  refuseUnknownParameters(request.url, [...READ_PARAMETERS, ...RESPONSE_OVERRIDES], operation);
  const versionId = request.url.searchParams.get('versionId') ?? undefined;
  const object = await store.headObject(request.bucket, request.key, versionId);
  const condition = preconditions(request, object);
  if (condition === 304) return send(request, 304, { etag: `"${object.etag}"`, ...versionHeader(object.versionId) });
  if (condition === 412) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  const rangeHeader = header(request.req, 'range');
  if (rangeHeader?.includes(',')) throw notImplemented(`${operation} with more than one range`);
  const range = parseRange(rangeHeader, object.size);
  const headers: OutgoingHttpHeaders = {
    ...objectHeaders(object),
    ...overrides(request.url),
    'content-length': range === undefined ? object.size : range.end - range.start + 1,
    ...(range === undefined ? {} : { 'content-range': `bytes ${range.start}-${range.end}/${object.size}` }),
  };
  const status = range === undefined ? 200 : 206;
  if (request.req.method === 'HEAD' || object.size === 0) return send(request, status, headers);
  const { body } = await store.getObject(request.bucket, request.key, {
    ...(range === undefined ? {} : { range }),
    ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
  });
  request.res.writeHead(status, { 'x-amz-request-id': request.requestId, ...headers });
  await pipeline(body, request.res);
}

/**
 * DeleteObject: 204 whether or not the key was there. On a versioned bucket, the delete marker
 * made (or the version removed with `?versionId=`) is `x-amz-version-id`, and
 * `x-amz-delete-marker` says when it is a delete marker.
 */
export async function deleteObject(store: S3Store, request: ObjectRequest): Promise<void> {
  refuseUnknownParameters(request.url, READ_PARAMETERS, 'DeleteObject');
  const versionId = request.url.searchParams.get('versionId') ?? undefined;
  const result = await store.deleteObject(request.bucket, request.key, versionId);
  send(request, 204, {
    ...versionHeader(result.versionId),
    ...(result.deleteMarker === true ? { 'x-amz-delete-marker': 'true' } : {}),
  });
}

function versionHeader(versionId: string | undefined): OutgoingHttpHeaders {
  return versionId === undefined ? {} : { 'x-amz-version-id': versionId };
}

/**
 * The body's SHA-256 the request's signature covers (`x-amz-content-sha256` as hex), which the
 * body must match: else a captured PUT could be replayed with other bytes while its signature
 * holds. `UNSIGNED-PAYLOAD` and `STREAMING-UNSIGNED-PAYLOAD-TRAILER` sign no body, as in AWS.
 * Streams with signed chunks are refused: the emulator does not check chunk signatures.
 */
function signedPayloadHash(request: S3Request): string | undefined {
  const sha = header(request.req, 'x-amz-content-sha256');
  if (sha === undefined || sha === 'UNSIGNED-PAYLOAD' || sha === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') return undefined;
  if (/^[0-9a-fA-F]{64}$/.test(sha)) return sha;
  if (sha.startsWith('STREAMING-')) throw notImplemented(`PutObject with x-amz-content-sha256 ${sha} (signed chunks)`);
  throw new S3Error(
    'InvalidArgument',
    `x-amz-content-sha256 must be a hex SHA-256, UNSIGNED-PAYLOAD or a streaming mode, not ${sha}`,
  );
}

function isChunked(request: S3Request): boolean {
  const encoding = header(request.req, 'content-encoding') ?? '';
  const sha = header(request.req, 'x-amz-content-sha256') ?? '';
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

function metadataFrom(request: S3Request): Partial<ObjectMetadata> {
  const get = (name: string) => header(request.req, name);
  const userMetadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      userMetadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  const encoding = (get('content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e !== 'aws-chunked')
    .join(',');
  const optional: Record<string, string | undefined> = {
    contentType: get('content-type'),
    cacheControl: get('cache-control'),
    contentDisposition: get('content-disposition'),
    contentEncoding: encoding === '' ? undefined : encoding,
    contentLanguage: get('content-language'),
    expires: get('expires'),
  };
  const present = Object.entries(optional).filter((e): e is [string, string] => e[1] !== undefined);
  return { ...Object.fromEntries(present), userMetadata };
}

function objectHeaders(object: StoredObject): OutgoingHttpHeaders {
  const m = object.metadata;
  const user = Object.fromEntries(Object.entries(m.userMetadata).map(([k, v]) => [`x-amz-meta-${k}`, v]));
  const optional = {
    'cache-control': m.cacheControl,
    'content-disposition': m.contentDisposition,
    'content-encoding': m.contentEncoding,
    'content-language': m.contentLanguage,
    expires: m.expires,
  };
  return {
    'content-type': m.contentType,
    etag: `"${object.etag}"`,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...versionHeader(object.versionId),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...user,
  };
}

function overrides(url: URL): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name of RESPONSE_OVERRIDES) {
    const value = url.searchParams.get(name);
    if (value !== null) headers[name.slice('response-'.length)] = value;
  }
  return headers;
}

/** S3's conditional GET: If-Match/If-Unmodified-Since fail with 412, If-None-Match/If-Modified-Since answer 304. */
function preconditions(request: S3Request, object: StoredObject): 200 | 304 | 412 {
  const ifMatch = header(request.req, 'if-match');
  const ifNoneMatch = header(request.req, 'if-none-match');
  const modified = (name: string) => {
    const value = header(request.req, name);
    if (value === undefined || Number.isNaN(Date.parse(value))) return undefined;
    return Math.floor(object.lastModified.getTime() / 1000) > Math.floor(Date.parse(value) / 1000);
  };
  if (ifMatch !== undefined ? !etagMatches(ifMatch, object.etag) : modified('if-unmodified-since') === true) {
    return 412;
  }
  if (ifNoneMatch !== undefined ? etagMatches(ifNoneMatch, object.etag) : modified('if-modified-since') === false) {
    return 304;
  }
  return 200;
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag.replace(/"/g, '') === etag;
  });
}
