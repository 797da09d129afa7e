import { noSuchBucket, S3Error } from './errors';
import { drain, refuseUnknownParameters, type S3Request, send, sendXml } from './request';
import type { S3Store } from './store';
import { listBucketsXml, listObjectsV2Xml, listVersionsXml, versioningXml } from './xml';

type BucketRequest = S3Request & { readonly bucket: string };

const LIST_V2_PARAMETERS = [
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
];

const LIST_VERSIONS_PARAMETERS = ['versions', 'prefix', 'max-keys', 'key-marker', 'version-id-marker', 'encoding-type'];

export async function listBuckets(store: S3Store, request: S3Request): Promise<void> {
  refuseUnknownParameters(request.url, [], 'ListBuckets');
  sendXml(request, 200, listBucketsXml(await store.listBuckets()));
}

/** CreateBucket: the location constraint is accepted and means nothing on one machine. */
export async function createBucket(store: S3Store, request: BucketRequest): Promise<void> {
  refuseUnknownParameters(request.url, [], 'CreateBucket');
  await drain(request);
  await store.createBucket(request.bucket);
  send(request, 200, { location: `/${request.bucket}` }, '');
}

export async function headBucket(store: S3Store, request: BucketRequest, region: string): Promise<void> {
  refuseUnknownParameters(request.url, [], 'HeadBucket');
  if (!(await store.hasBucket(request.bucket))) throw noSuchBucket(request.bucket);
  send(request, 200, { 'x-amz-bucket-region': region });
}

/** ListObjectsV2 with S3's paging; `encoding-type=url` encodes keys and prefixes as S3 does. */
export async function listObjectsV2(store: S3Store, request: BucketRequest): Promise<void> {
  refuseUnknownParameters(request.url, LIST_V2_PARAMETERS, 'ListObjectsV2');
  const q = request.url.searchParams;
  const maxKeys = maxKeysOf(q.get('max-keys'));
  const encoding = encodingOf(q.get('encoding-type'));
  const params = {
    prefix: q.get('prefix') ?? '',
    maxKeys,
    ...optional('delimiter', q.get('delimiter')),
    ...optional('continuationToken', q.get('continuation-token')),
    ...optional('startAfter', q.get('start-after')),
  };
  const listing = await store.listObjects(request.bucket, params);
  const xml = listObjectsV2Xml(listing, {
    bucket: request.bucket,
    ...params,
    urlEncode: encoding === 'url',
    fetchOwner: q.get('fetch-owner') === 'true',
  });
  sendXml(request, 200, xml);
}

/** GET on a bucket without `list-type=2` is ListObjects (v1) or a bucket subresource: not emulated. */
export function isListObjectsV2(request: S3Request): boolean {
  return request.url.searchParams.get('list-type') === '2';
}

/** `GET /<bucket>?versions`: ListObjectVersions. */
export function isListObjectVersions(request: S3Request): boolean {
  return request.url.searchParams.has('versions');
}

/** `GET /<bucket>?versioning`: GetBucketVersioning. */
export function isGetBucketVersioning(request: S3Request): boolean {
  return request.url.searchParams.has('versioning');
}

/**
 * ListObjectVersions with a prefix and S3's key/version-id markers (no delimiter): every version
 * and delete marker, newest first within a key, so a caller can find the version it wants.
 */
export async function listObjectVersions(store: S3Store, request: BucketRequest): Promise<void> {
  refuseUnknownParameters(request.url, LIST_VERSIONS_PARAMETERS, 'ListObjectVersions');
  const q = request.url.searchParams;
  const encoding = encodingOf(q.get('encoding-type'));
  const params = {
    prefix: q.get('prefix') ?? '',
    maxKeys: maxKeysOf(q.get('max-keys')),
    ...optional('keyMarker', q.get('key-marker')),
    ...optional('versionIdMarker', q.get('version-id-marker')),
  };
  const listing = await store.listObjectVersions(request.bucket, params);
  sendXml(request, 200, listVersionsXml(listing, { bucket: request.bucket, ...params, urlEncode: encoding === 'url' }));
}

/** GetBucketVersioning: `Enabled` for the buckets the store keeps versions in. */
export async function getBucketVersioning(store: S3Store, request: BucketRequest): Promise<void> {
  refuseUnknownParameters(request.url, ['versioning'], 'GetBucketVersioning');
  if (!(await store.hasBucket(request.bucket))) throw noSuchBucket(request.bucket);
  sendXml(request, 200, versioningXml(store.isVersioned(request.bucket)));
}

function encodingOf(value: string | null): 'url' | null {
  if (value !== null && value !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  }
  return value;
}

function maxKeysOf(value: string | null): number {
  if (value === null) return 1000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range');
  return Math.min(n, 1000);
}

function optional<K extends string>(name: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [name]: value }) as { [P in K]?: string };
}
