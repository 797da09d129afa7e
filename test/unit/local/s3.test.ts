import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createS3Endpoint, S3Store } from '../../../local/s3';

const BUCKET = 'gantry-artifacts';

async function serve(store: S3Store): Promise<{ server: Server; endpoint: string }> {
  const s3 = createS3Endpoint(store, { region: 'eu-west-1' });
  const server = createServer((req, res) => void s3.handle(req, res, new URL(req.url ?? '/', 'http://edge')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function clientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('the local S3 emulator', () => {
  let dataDir: string;
  let store: S3Store;
  let server: Server;
  let s3: S3Client;
  let endpoint: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-s3-'));
    store = new S3Store({ buckets: [BUCKET], dataDir });
    const running = await serve(store);
    server = running.server;
    endpoint = running.endpoint;
    s3 = clientFor(running.endpoint);
  });
  afterEach(async () => {
    s3.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  describe('buckets', () => {
    it('lists the template buckets and the ones created since', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'scratch' }));
      const { Buckets } = await s3.send(new ListBucketsCommand({}));
      expect(Buckets?.map((b) => b.Name)).toEqual([BUCKET, 'scratch']);
      expect(Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    });

    it('answers HeadBucket for a bucket it holds, and NotFound for one it does not', async () => {
      await expect(s3.send(new HeadBucketCommand({ Bucket: BUCKET }))).resolves.toBeDefined();
      expect(await errorOf(s3.send(new HeadBucketCommand({ Bucket: 'absent' })))).toEqual({
        name: 'NotFound',
        status: 404,
      });
    });

    it('refuses to create a bucket twice or with a name S3 would refuse', async () => {
      expect((await errorOf(s3.send(new CreateBucketCommand({ Bucket: BUCKET })))).name).toBe(
        'BucketAlreadyOwnedByYou',
      );
      expect((await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'Not_Valid' })))).name).toBe('InvalidBucketName');
    });
  });

  describe('objects', () => {
    it('stores an object with its content type and user metadata, and gives the MD5 as its ETag', async () => {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'reports/junit.xml',
          Body: '<testsuites/>',
          ContentType: 'application/xml',
          Metadata: { commit: 'abc123' },
        }),
      );
      expect(put.ETag).toBe(`"${md5('<testsuites/>')}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/junit.xml' }));
      expect(await got.Body?.transformToString()).toBe('<testsuites/>');
      expect(got).toMatchObject({ ContentType: 'application/xml', ContentLength: 13, Metadata: { commit: 'abc123' } });
      expect(readFileSync(join(dataDir, BUCKET, 'reports', 'junit.xml'), 'utf8')).toBe('<testsuites/>');
    });

    it('decodes a streamed upload (aws-chunked with a checksum trailer)', async () => {
      const body = Readable.from([Buffer.from('part one, '), Buffer.from('part two')]);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stream.txt', Body: body, ContentLength: 18 }));
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stream.txt' }));
      expect(await got.Body?.transformToString()).toBe('part one, part two');
      expect(got.ETag).toBe(`"${md5('part one, part two')}"`);
    });

    it('answers HeadObject without the body', async () => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.txt', Body: 'hello' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a.txt' }));
      expect(head).toMatchObject({
        ContentLength: 5,
        ETag: `"${md5('hello')}"`,
        ContentType: 'application/octet-stream',
      });
      expect(head.LastModified).toBeInstanceOf(Date);
    });

    it('serves a byte range, and InvalidRange past the end', async () => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'digits', Body: '0123456789' }));
      const part = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'digits', Range: 'bytes=2-4' }));
      expect(await part.Body?.transformToString()).toBe('234');
      expect(part.ContentRange).toBe('bytes 2-4/10');
      const tail = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'digits', Range: 'bytes=-3' }));
      expect(await tail.Body?.transformToString()).toBe('789');
      const beyond = await errorOf(
        s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'digits', Range: 'bytes=20-' })),
      );
      expect(beyond).toEqual({ name: 'InvalidRange', status: 416 });
    });

    it('answers NoSuchKey, NotFound and NoSuchBucket as S3 does', async () => {
      expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'absent' })))).toEqual({
        name: 'NoSuchKey',
        status: 404,
      });
      expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'absent' })))).name).toBe('NotFound');
      expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: 'absent', Key: 'k' })))).name).toBe('NoSuchBucket');
      expect((await errorOf(s3.send(new PutObjectCommand({ Bucket: 'absent', Key: 'k', Body: 'x' })))).name).toBe(
        'NoSuchBucket',
      );
    });

    it('deletes an object, and deleting a missing key succeeds', async () => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'deep/er/file', Body: 'x' }));
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deep/er/file' }));
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deep/er/file' }));
      expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'deep/er/file' })))).name).toBe(
        'NoSuchKey',
      );
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'deep', Body: 'now a file' }));
    });

    it('keeps keys with spaces, plus signs and non-ASCII characters', async () => {
      const key = 'dir with space/a+b/über.txt';
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'ok' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await got.Body?.transformToString()).toBe('ok');
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
    });

    it('rejects a body whose Content-MD5 does not match with BadDigest', async () => {
      const wrong = createHash('md5').update('other').digest('base64');
      const put = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'body', ContentMD5: wrong }));
      expect((await errorOf(put)).name).toBe('BadDigest');
    });

    it('refuses a body that does not hash to its signed x-amz-content-sha256, and stores nothing', async () => {
      // The signature covers the header, not the body: a captured PUT replayed with other bytes
      // must not store them while its signature still holds.
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'signed', Body: 'original' }));
      const signedHash = createHash('sha256').update('original').digest('hex');
      const url = `${endpoint}/${BUCKET}/signed`;
      const put = (body: string, sha: string) =>
        fetch(url, { method: 'PUT', body, headers: { 'x-amz-content-sha256': sha } });
      const swapped = await put('tampered', signedHash);
      expect(swapped.status).toBe(400);
      expect(await swapped.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
      const kept = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'signed' }));
      expect(await kept.Body?.transformToString()).toBe('original');
      // Signed chunks, whose signatures the emulator does not check, are refused; a hash it cannot read too.
      expect((await put('x', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')).status).toBe(501);
      expect((await put('x', 'not-a-hash')).status).toBe(400);
      expect((await put('original', signedHash.toUpperCase())).status).toBe(200);
    });

    it('honours If-None-Match: * on PutObject', async () => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: '1', IfNoneMatch: '*' }));
      const again = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once', Body: '2', IfNoneMatch: '*' }));
      expect(await errorOf(again)).toEqual({ name: 'PreconditionFailed', status: 412 });
    });

    it('refuses a key that would be a file and a folder at once', async () => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x/y', Body: '1' }));
      expect((await errorOf(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: '2' })))).name).toBe(
        'NotImplemented',
      );
    });

    it('keeps objects and their metadata across a restart', async () => {
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: 'still here', ContentType: 'text/plain' }),
      );
      const reopened = new S3Store({ buckets: [BUCKET], dataDir });
      const object = await reopened.headObject(BUCKET, 'kept');
      expect(object).toMatchObject({ etag: md5('still here'), metadata: { contentType: 'text/plain' } });
      expect((await reopened.readObject(BUCKET, 'kept')).toString()).toBe('still here');
    });
  });

  describe('ListObjectsV2', () => {
    const keys = ['a.txt', 'dist/app.js', 'dist/lib/util.js', 'reports/junit/one.xml', 'reports/junit/two.xml', 'z'];

    beforeEach(async () => {
      for (const key of keys) await store.putObject(BUCKET, key, key);
    });

    it('lists every key in order with size and ETag', async () => {
      const { Contents, KeyCount, IsTruncated } = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect(Contents?.map((c) => c.Key)).toEqual(keys);
      expect(Contents?.[0]).toMatchObject({ Size: 5, ETag: `"${md5('a.txt')}"`, StorageClass: 'STANDARD' });
      expect({ KeyCount, IsTruncated }).toEqual({ KeyCount: 6, IsTruncated: false });
    });

    it('filters by prefix and groups by delimiter', async () => {
      const byPrefix = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'reports/junit/' }));
      expect(byPrefix.Contents?.map((c) => c.Key)).toEqual(['reports/junit/one.xml', 'reports/junit/two.xml']);
      const grouped = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
      expect(grouped.Contents?.map((c) => c.Key)).toEqual(['a.txt', 'z']);
      expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dist/', 'reports/']);
      const nested = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dist/', Delimiter: '/' }));
      expect(nested.Contents?.map((c) => c.Key)).toEqual(['dist/app.js']);
      expect(nested.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dist/lib/']);
    });

    it('pages with MaxKeys and continuation tokens, counting common prefixes', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 1, ContinuationToken: token }),
        );
        seen.push(
          ...(page.Contents ?? []).map((c) => c.Key ?? ''),
          ...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        );
        expect(page.KeyCount).toBe(1);
        token = page.NextContinuationToken;
      } while (token !== undefined);
      expect(seen).toEqual(['a.txt', 'dist/', 'reports/', 'z']);
    });

    it('starts after a given key, and rejects a token it did not issue', async () => {
      const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: 'reports/junit/one.xml' }));
      expect(after.Contents?.map((c) => c.Key)).toEqual(['reports/junit/two.xml', 'z']);
      const bogus = s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'nonsense' }));
      expect((await errorOf(bogus)).name).toBe('InvalidArgument');
    });

    it('URL-encodes keys when asked to', async () => {
      await store.putObject(BUCKET, 'with space', 'x');
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'with', EncodingType: 'url' }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['with%20space']);
    });

    it('lists nothing for a prefix that climbs out of the bucket', async () => {
      const listed = await store.listObjects(BUCKET, { prefix: '../../' });
      expect(listed.objects).toEqual([]);
    });
  });

  describe('what it does not emulate', () => {
    const calls: [string, (client: S3Client) => Promise<unknown>][] = [
      ['CopyObject', (c) => c.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'b', CopySource: `${BUCKET}/a` }))],
      [
        'PutObjectTagging',
        (c) => c.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'a', Tagging: { TagSet: [] } })),
      ],
      ['GetObjectAcl', (c) => c.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'a' }))],
      ['ListObjects (v1)', (c) => c.send(new ListObjectsCommand({ Bucket: BUCKET }))],
      [
        'DeleteObjects',
        (c) => c.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'a' }] } })),
      ],
      ['CreateMultipartUpload', (c) => c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'big' }))],
    ];

    it.each(calls)('answers %s with NotImplemented', async (_name, call) => {
      expect(await errorOf(call(s3))).toEqual({ name: 'NotImplemented', status: 501 });
    });
  });

  describe('routing on the edge', () => {
    const request = (method: string) => ({ method, headers: { host: '127.0.0.1:4566' } }) as IncomingMessage;
    const url = (path: string) => new URL(path, 'http://edge');

    it('claims requests for known buckets, ListBuckets and CreateBucket only', () => {
      const endpoint = createS3Endpoint(store);
      expect(endpoint.accepts(request('GET'), url(`/${BUCKET}/key`))).toBe(true);
      expect(endpoint.accepts(request('GET'), url('/'))).toBe(true);
      expect(endpoint.accepts(request('PUT'), url('/new-bucket'))).toBe(true);
      expect(endpoint.accepts(request('POST'), url('/_gantry/health'))).toBe(false);
      expect(endpoint.accepts(request('GET'), url('/other-bucket/key'))).toBe(false);
    });

    it('claims any request signed for S3, so an unknown bucket still gets NoSuchBucket', () => {
      const endpoint = createS3Endpoint(store);
      const signed = {
        method: 'GET',
        headers: {
          host: '127.0.0.1:4566',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00',
        },
      } as unknown as IncomingMessage;
      expect(endpoint.accepts(signed, url('/other-bucket/key'))).toBe(true);
      const forSqs = {
        ...signed,
        headers: { ...signed.headers, authorization: signed.headers.authorization?.replace('/s3/', '/sqs/') },
      } as unknown as IncomingMessage;
      expect(endpoint.accepts(forSqs, url('/other-bucket/key'))).toBe(false);
    });
  });
});
