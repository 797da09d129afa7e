import type { S3Error } from './errors';
import type { StoredObject } from './metadata';
import type { ObjectListing } from './store';

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
