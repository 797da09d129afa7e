import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createBucket,
  getBucketVersioning,
  headBucket,
  isGetBucketVersioning,
  isListObjectsV2,
  isListObjectVersions,
  listBuckets,
  listObjectsV2,
  listObjectVersions,
} from './buckets';
import { notImplemented, S3Error } from './errors';
import { deleteObject, getObject, putObject } from './objects';
import { addressOf, type S3Request, send, sendXml } from './request';
import type { S3Store } from './store';
import { errorXml } from './xml';

/** The S3 REST endpoint as the edge mounts it. */
export interface S3Endpoint {
  /**
   * Whether a request without `X-Amz-Target` is S3's: one signed for S3 (SigV4 credential scope
   * `…/s3/aws4_request`, so an unknown bucket still gets S3's NoSuchBucket), ListBuckets
   * (`GET /`), CreateBucket (`PUT /<name>`), or any request whose first path segment (or
   * `<bucket>.localhost` host) names a bucket the store holds.
   */
  accepts(req: IncomingMessage, url: URL): boolean;
  /** Answers one request; `body` is the request body when the caller has already read it. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body?: Buffer): Promise<void>;
}

export interface S3EndpointOptions {
  /** Reported by HeadBucket's `x-amz-bucket-region`. @default 'us-east-1' */
  readonly region?: string;
}

/**
 * S3's REST-XML protocol over an `S3Store`, for `@aws-sdk/client-s3` and the AWS CLI pointed at
 * the edge (path-style, as the SDK addresses an IP endpoint). Errors are S3's error documents;
 * anything outside the subset is `NotImplemented`, never a silent success.
 */
export function createS3Endpoint(store: S3Store, options: S3EndpointOptions = {}): S3Endpoint {
  const region = options.region ?? 'us-east-1';
  return {
    accepts(req, url) {
      if (signedForS3(req, url)) return true;
      const { bucket, key } = safeAddress(req, url);
      if (bucket === undefined) return req.method === 'GET';
      return store.isBucket(bucket) || (req.method === 'PUT' && key === undefined);
    },
    async handle(req, res, url, body) {
      const request: S3Request = {
        req,
        res,
        url,
        ...safeAddress(req, url),
        ...(body === undefined ? {} : { body }),
        requestId: randomBytes(8).toString('hex').toUpperCase(),
      };
      try {
        await dispatch(store, request, region);
      } catch (error) {
        answerError(request, error);
      }
    },
  };
}

/** A SigV4 signature (header or presigned URL) whose credential scope names the s3 service. */
function signedForS3(req: IncomingMessage, url: URL): boolean {
  const scope = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;
  const authorization = req.headers.authorization ?? '';
  const presigned = url.searchParams.get('X-Amz-Credential') ?? '';
  return scope.exec(authorization)?.[1] === 's3' || presigned.split('/')[3] === 's3';
}

function safeAddress(req: IncomingMessage, url: URL): { bucket?: string; key?: string } {
  try {
    return addressOf(req, url);
  } catch {
    return {};
  }
}

async function dispatch(store: S3Store, request: S3Request, region: string): Promise<void> {
  const method = request.req.method ?? 'GET';
  const { bucket, key } = request;
  if (bucket === undefined) {
    if (method === 'GET') return listBuckets(store, request);
    throw notImplemented(`${method} /`);
  }
  if (key === undefined) {
    const on = { ...request, bucket };
    if (method === 'PUT') return createBucket(store, on);
    if (method === 'HEAD') return headBucket(store, on, region);
    if (method === 'GET' && isListObjectsV2(request)) return listObjectsV2(store, on);
    if (method === 'GET' && isListObjectVersions(request)) return listObjectVersions(store, on);
    if (method === 'GET' && isGetBucketVersioning(request)) return getBucketVersioning(store, on);
    throw notImplemented(`${method} on a bucket${describeQuery(request.url)}`);
  }
  const on = { ...request, bucket, key };
  if (method === 'PUT') return putObject(store, on);
  if (method === 'GET' || method === 'HEAD') return getObject(store, on);
  if (method === 'DELETE') return deleteObject(store, on);
  throw notImplemented(`${method} on an object${describeQuery(request.url)}`);
}

function describeQuery(url: URL): string {
  const names = [...url.searchParams.keys()].filter((n) => n !== 'x-id');
  return names.length === 0 ? '' : ` with "?${names.join('&')}"`;
}

function answerError(request: S3Request, error: unknown): void {
  if (request.res.headersSent) {
    request.res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  const s3Error =
    error instanceof S3Error
      ? error
      : new S3Error('InternalError', 'The local S3 emulator failed to answer the request', undefined, { cause: error });
  if (request.req.method === 'HEAD') send(request, s3Error.status, {});
  else sendXml(request, s3Error.status, errorXml(s3Error, request.requestId));
}
