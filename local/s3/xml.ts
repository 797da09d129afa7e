import type { S3Error } from './errors';
import type { StoredObject } from './metadata';
import type { ObjectListing } from './store';
import type { VersionEntry, VersionListing } from './versions';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
/** Local mode's one account, as S3 would show its canonical user. */
const OWNER = '<Owner><ID>gantry-local</ID><DisplayName>gantry-local</DisplayName></Owner>';

/** Escapes text for an XML element body or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function element(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** S3's error document, which the SDK turns into the named exception. */
export function errorXml(error: S3Error, requestId: string): string {
  return (
    `${DECLARATION}<Error>${element('Code', error.code)}${element('Message', error.message)}` +
    `${element('BucketName', error.resource?.bucketName)}${element('Key', error.resource?.key)}` +
    `${element('VersionId', error.resource?.versionId)}` +
    `${element('RequestId', requestId)}</Error>`
  );
}

export function listBucketsXml(buckets: readonly { name: string; creationDate: Date }[]): string {
  const items = buckets
    .map((b) => `<Bucket>${element('Name', b.name)}${element('CreationDate', b.creationDate.toISOString())}</Bucket>`)
    .join('');
  return `${DECLARATION}<ListAllMyBucketsResult xmlns="${NS}">${OWNER}<Buckets>${items}</Buckets></ListAllMyBucketsResult>`;
}

/** What ListObjectsV2 echoes back, and how it was asked to encode keys. */
export interface ListEcho {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter?: string;
  readonly maxKeys: number;
  readonly continuationToken?: string;
  readonly startAfter?: string;
  readonly urlEncode: boolean;
  readonly fetchOwner: boolean;
}

export function listObjectsV2Xml(listing: ObjectListing, echo: ListEcho): string {
  const enc = (s: string | undefined) => (s === undefined || !echo.urlEncode ? s : encodeURIComponent(s));
  const contents = listing.objects.map((o) => contentXml(o, enc(o.key) ?? o.key, echo.fetchOwner)).join('');
  const prefixes = listing.commonPrefixes.map((p) => `<CommonPrefixes>${element('Prefix', enc(p))}</CommonPrefixes>`);
  return (
    `${DECLARATION}<ListBucketResult xmlns="${NS}">${element('Name', echo.bucket)}${element('Prefix', enc(echo.prefix))}` +
    `${element('Delimiter', enc(echo.delimiter))}${element('MaxKeys', echo.maxKeys)}` +
    `${element('EncodingType', echo.urlEncode ? 'url' : undefined)}` +
    `${element('KeyCount', listing.objects.length + listing.commonPrefixes.length)}` +
    `${element('IsTruncated', listing.isTruncated)}${element('ContinuationToken', echo.continuationToken)}` +
    `${element('NextContinuationToken', listing.nextContinuationToken)}${element('StartAfter', enc(echo.startAfter))}` +
    `${contents}${prefixes.join('')}</ListBucketResult>`
  );
}

function contentXml(object: StoredObject, key: string, fetchOwner: boolean): string {
  return (
    `<Contents>${element('Key', key)}${element('LastModified', object.lastModified.toISOString())}` +
    `${element('ETag', `"${object.etag}"`)}${element('Size', object.size)}` +
    `${fetchOwner ? OWNER : ''}${element('StorageClass', 'STANDARD')}</Contents>`
  );
}

/** What ListObjectVersions echoes back, and how it was asked to encode keys. */
export interface VersionListEcho {
  readonly bucket: string;
  readonly prefix: string;
  readonly maxKeys: number;
  readonly keyMarker?: string;
  readonly versionIdMarker?: string;
  readonly urlEncode: boolean;
}

/** ListObjectVersions' answer: versions and delete markers in one sequence, as S3 orders them. */
export function listVersionsXml(listing: VersionListing, echo: VersionListEcho): string {
  const enc = (s: string | undefined) => (s === undefined || !echo.urlEncode ? s : encodeURIComponent(s));
  const entries = listing.entries.map((e) => versionXml(e, enc(e.key) ?? e.key)).join('');
  return (
    `${DECLARATION}<ListVersionsResult xmlns="${NS}">${element('Name', echo.bucket)}` +
    `${element('Prefix', enc(echo.prefix))}${element('KeyMarker', enc(echo.keyMarker ?? ''))}` +
    `${element('VersionIdMarker', echo.versionIdMarker ?? '')}` +
    `${element('NextKeyMarker', enc(listing.nextKeyMarker))}` +
    `${element('NextVersionIdMarker', listing.nextVersionIdMarker)}${element('MaxKeys', echo.maxKeys)}` +
    `${element('EncodingType', echo.urlEncode ? 'url' : undefined)}${element('IsTruncated', listing.isTruncated)}` +
    `${entries}</ListVersionsResult>`
  );
}

function versionXml(entry: VersionEntry, key: string): string {
  const common =
    `${element('Key', key)}${element('VersionId', entry.versionId)}${element('IsLatest', entry.isLatest)}` +
    `${element('LastModified', entry.lastModified.toISOString())}`;
  if (entry.object === undefined) return `<DeleteMarker>${common}${OWNER}</DeleteMarker>`;
  return (
    `<Version>${common}${element('ETag', `"${entry.object.etag}"`)}${element('Size', entry.object.size)}` +
    `${element('StorageClass', 'STANDARD')}${OWNER}</Version>`
  );
}

/** GetBucketVersioning's answer: `Enabled`, or no status for a bucket that never had versioning. */
export function versioningXml(enabled: boolean): string {
  return (
    `${DECLARATION}<VersioningConfiguration xmlns="${NS}">${enabled ? element('Status', 'Enabled') : ''}` +
    '</VersioningConfiguration>'
  );
}
