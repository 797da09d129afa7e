export { noSuchBucket, noSuchKey, noSuchVersion, notImplemented, S3Error, type S3ErrorCode } from './errors';
export { createS3Endpoint, type S3Endpoint, type S3EndpointOptions } from './handler';
export type { ListParams } from './list';
export type { ObjectMetadata, StoredObject } from './metadata';
export {
  type ByteRange,
  type DeleteResult,
  type ObjectListing,
  type PutOptions,
  type ReadOptions,
  S3Store,
  type S3StoreOptions,
} from './store';
export type { VersionEntry, VersionListing, VersionListParams } from './versions';
