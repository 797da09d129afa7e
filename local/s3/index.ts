export { noSuchBucket, noSuchKey, notImplemented, S3Error, type S3ErrorCode } from './errors';
export { createS3Endpoint, type S3Endpoint, type S3EndpointOptions } from './handler';
export type { ListParams } from './list';
export type { ObjectMetadata, StoredObject } from './metadata';
export { type ByteRange, type ObjectListing, type PutOptions, S3Store, type S3StoreOptions } from './store';
