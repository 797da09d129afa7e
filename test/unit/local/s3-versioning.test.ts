import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createS3Endpoint, S3Store } from '../../../local/s3';
import { inventoryOf } from '../../../local/template/inventory';
import { TemplateResolver } from '../../../local/template/resolver';
import { S3CheckpointStore } from '../../../shared/audit/checkpoints-aws';
import { S3ArtifactStore } from '../../../shared/aws/s3';

const VERSIONED = 'gantry-artifacts-000000000000-eu-west-1';
const PLAIN = 'gantry-plain';
const LOCKED = 'gantry-locked';

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('S3 object versioning in the local emulator', () => {
  let dataDir: string;
  let store: S3Store;
  let server: Server;
  let s3: S3Client;

  const put = (Key: string, Body: string, Bucket = VERSIONED) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
  const text = async (Key: string, VersionId?: string, Bucket = VERSIONED) => {
    const got = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
    return { body: await got.Body?.transformToString(), versionId: got.VersionId };
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-s3-versions-'));
    store = new S3Store({
      buckets: [VERSIONED, PLAIN, LOCKED],
      versionedBuckets: [VERSIONED, LOCKED],
      lockedBuckets: [LOCKED],
      dataDir,
    });
    const endpoint = createS3Endpoint(store, { region: 'eu-west-1' });
    server = createServer((req, res) => void endpoint.handle(req, res, new URL(req.url ?? '/', 'http://edge')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    s3 = new S3Client({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterEach(async () => {
    s3.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('S3ArtifactStore, as EvaluateGates reads attested artifacts', () => {
    it('reads the head of a version, the whole of it, and an empty file (which S3 refuses a range of) as empty', async () => {
      const artifacts = new S3ArtifactStore(s3);
      const big = await put('releases/app/b1/artifacts/report.xml', `<testsuite>${'x'.repeat(100)}</testsuite>`);
      await put('releases/app/b1/artifacts/report.xml', 'replaced');
      const empty = await s3.send(
        new PutObjectCommand({ Bucket: VERSIONED, Key: 'releases/app/b1/artifacts/py.typed', Body: new Uint8Array(0) }),
      );
      const read = (key: string, versionId: string | undefined, maxBytes?: number) =>
        artifacts.read(VERSIONED, key, { versionId: versionId ?? '', ...(maxBytes === undefined ? {} : { maxBytes }) });
      expect((await read('releases/app/b1/artifacts/report.xml', big.VersionId, 11)).toString()).toBe('<testsuite>');
      expect((await read('releases/app/b1/artifacts/report.xml', big.VersionId)).length).toBe(123);
      // The emulator, as S3, refuses a range of an empty object (416 InvalidRange).
      expect(
        await errorOf(
          s3.send(
            new GetObjectCommand({ Bucket: VERSIONED, Key: 'releases/app/b1/artifacts/py.typed', Range: 'bytes=0-9' }),
          ),
        ),
      ).toEqual({ name: 'InvalidRange', status: 416 });
      expect(await read('releases/app/b1/artifacts/py.typed', empty.VersionId, 65_536)).toEqual(Buffer.alloc(0));
    });
  });

  describe('S3CheckpointStore, as verify lists the signed checkpoints', () => {
    it('still finds a checkpoint a delete marker hides, and says it was hidden', async () => {
      const store = new S3CheckpointStore(s3, LOCKED);
      const checkpoint = {
        version: 1 as const,
        time: '2026-12-06T21:00:00.000Z',
        keyId: 'k',
        algorithm: 'ECDSA_SHA_256',
        chains: [{ chain: 'acme/app', seq: 8, hash: 'a'.repeat(64), expiresAt: 2_000_000_000 }],
        signature: 'c2ln',
      };
      const key = await store.put(checkpoint);
      await store.put({ ...checkpoint, time: '2026-12-06T22:00:00.000Z' });
      // Hidden from a plain listing: the locked version stays, the key reads as absent.
      await s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: key }));
      const listed = [];
      for await (const entry of store.list()) listed.push(entry);
      expect(listed.map(({ key: k, checkpoint: c }) => [k, c instanceof Error ? c.message : c.time])).toEqual([
        [
          key,
          expect.stringMatching(/^checkpoint checkpoints\/2026-12-06T21-00-00-000Z.json was hidden by a delete marker/),
        ],
        [key, '2026-12-06T21:00:00.000Z'],
        ['checkpoints/2026-12-06T22-00-00-000Z.json', '2026-12-06T22:00:00.000Z'],
      ]);
    });

    it('reads each locked version once, however often it lists (the console lists for every dossier)', async () => {
      const gets: string[] = [];
      const counting = {
        send: ((command: { constructor: { name: string } }) => {
          gets.push(command.constructor.name);
          return s3.send(command as never);
        }) as S3Client['send'],
      };
      const store = new S3CheckpointStore(counting, LOCKED);
      const checkpoint = {
        version: 1 as const,
        time: '2026-12-06T23:00:00.000Z',
        keyId: 'k',
        algorithm: 'ECDSA_SHA_256',
        chains: [],
        signature: 'c2ln',
      };
      await store.put(checkpoint);
      for (let i = 0; i < 3; i++) for await (const _ of store.list());
      expect(gets.filter((g) => g === 'GetObjectCommand')).toHaveLength(1);
      expect(gets.filter((g) => g === 'ListObjectVersionsCommand')).toHaveLength(3);
    });
  });

  describe('on a versioned bucket', () => {
    it('gives each put a fresh version id and keeps the older versions readable by id', async () => {
      const first = await put('builds/app.zip', 'first');
      const second = await put('builds/app.zip', 'second');
      expect(first.VersionId).toEqual(expect.any(String));
      expect(second.VersionId).toEqual(expect.any(String));
      expect(second.VersionId).not.toBe(first.VersionId);

      expect(await text('builds/app.zip', first.VersionId)).toEqual({ body: 'first', versionId: first.VersionId });
      expect(await text('builds/app.zip', second.VersionId)).toEqual({ body: 'second', versionId: second.VersionId });
      expect(await text('builds/app.zip')).toEqual({ body: 'second', versionId: second.VersionId });
    });

    it('answers HeadObject for a version with that version’s metadata and id', async () => {
      const first = await s3.send(
        new PutObjectCommand({ Bucket: VERSIONED, Key: 'k', Body: 'one', ContentType: 'text/plain' }),
      );
      await s3.send(new PutObjectCommand({ Bucket: VERSIONED, Key: 'k', Body: 'longer', ContentType: 'text/html' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: VERSIONED, Key: 'k', VersionId: first.VersionId }));
      expect(head).toMatchObject({ ContentLength: 3, ContentType: 'text/plain', VersionId: first.VersionId });
      const current = await s3.send(new HeadObjectCommand({ Bucket: VERSIONED, Key: 'k' }));
      expect(current).toMatchObject({ ContentLength: 6, ContentType: 'text/html' });
      expect(current.VersionId).not.toBe(first.VersionId);
    });

    it('serves a byte range of an older version', async () => {
      const first = await put('digits', '0123456789');
      await put('digits', 'abcdefghij');
      const part = await s3.send(
        new GetObjectCommand({ Bucket: VERSIONED, Key: 'digits', VersionId: first.VersionId, Range: 'bytes=2-4' }),
      );
      expect(await part.Body?.transformToString()).toBe('234');
    });

    it('answers NoSuchVersion for a version id the key does not have', async () => {
      await put('k', 'x');
      const other = await put('other', 'y');
      expect(await errorOf(text('k', other.VersionId))).toEqual({ name: 'NoSuchVersion', status: 404 });
      expect(await errorOf(text('k', '01ARZ3NDEKTSV4RRFFQ69G5FAV'))).toEqual({ name: 'NoSuchVersion', status: 404 });
      expect(await errorOf(text('k', '../../../etc/passwd'))).toEqual({ name: 'NoSuchVersion', status: 404 });
      const head = s3.send(new HeadObjectCommand({ Bucket: VERSIONED, Key: 'k', VersionId: other.VersionId }));
      expect(await errorOf(head)).toEqual({ name: 'NotFound', status: 404 });
    });

    it('adds a delete marker on DeleteObject: the key reads as absent, its versions still by id', async () => {
      const first = await put('k', 'one');
      const second = await put('k', 'two');
      const deleted = await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'k' }));
      expect(deleted.DeleteMarker).toBe(true);
      expect(deleted.VersionId).toEqual(expect.any(String));
      expect([first.VersionId, second.VersionId]).not.toContain(deleted.VersionId);

      expect(await errorOf(text('k'))).toEqual({ name: 'NoSuchKey', status: 404 });
      expect((await s3.send(new ListObjectsV2Command({ Bucket: VERSIONED }))).KeyCount).toBe(0);
      expect((await text('k', first.VersionId)).body).toBe('one');
      expect((await text('k', second.VersionId)).body).toBe('two');
      expect((await errorOf(text('k', deleted.VersionId))).status).toBe(405);
    });

    it('removes one version on DeleteObject with a version id, and the newest left becomes current', async () => {
      const first = await put('k', 'one');
      const second = await put('k', 'two');
      const removed = await s3.send(
        new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'k', VersionId: second.VersionId }),
      );
      expect(removed.VersionId).toBe(second.VersionId);
      expect(removed.DeleteMarker).toBeUndefined();
      expect(await errorOf(text('k', second.VersionId))).toEqual({ name: 'NoSuchVersion', status: 404 });
      expect(await text('k')).toEqual({ body: 'one', versionId: first.VersionId });
    });

    it('brings the key back when its delete marker is removed', async () => {
      const first = await put('k', 'one');
      const marker = await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'k' }));
      const removed = await s3.send(
        new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'k', VersionId: marker.VersionId }),
      );
      expect(removed).toMatchObject({ DeleteMarker: true, VersionId: marker.VersionId });
      expect(await text('k')).toEqual({ body: 'one', versionId: first.VersionId });
    });

    it('lists versions and delete markers with ListObjectVersions, newest first, filtered by prefix', async () => {
      const a1 = await put('dist/a.zip', 'a-one');
      const a2 = await put('dist/a.zip', 'a-two!');
      const b1 = await put('dist/b.zip', 'b');
      const marker = await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'dist/b.zip' }));
      await put('other/c.zip', 'c');

      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED, Prefix: 'dist/' }));
      expect(listed.IsTruncated).toBe(false);
      expect(listed.Versions).toEqual([
        expect.objectContaining({ Key: 'dist/a.zip', VersionId: a2.VersionId, IsLatest: true, Size: 6, ETag: a2.ETag }),
        expect.objectContaining({
          Key: 'dist/a.zip',
          VersionId: a1.VersionId,
          IsLatest: false,
          Size: 5,
          ETag: a1.ETag,
        }),
        expect.objectContaining({ Key: 'dist/b.zip', VersionId: b1.VersionId, IsLatest: false, Size: 1 }),
      ]);
      expect(listed.Versions?.[0]?.LastModified).toBeInstanceOf(Date);
      expect(listed.DeleteMarkers).toEqual([
        expect.objectContaining({ Key: 'dist/b.zip', VersionId: marker.VersionId, IsLatest: true }),
      ]);
    });

    it('pages ListObjectVersions with MaxKeys and the key and version-id markers', async () => {
      const ids = [];
      for (const body of ['1', '2', '3']) ids.push((await put('k', body)).VersionId);
      const z = await put('z', 'z');
      const seen: (string | undefined)[] = [];
      let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
      for (;;) {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED, MaxKeys: 2, ...markers }));
        seen.push(...(page.Versions ?? []).map((v) => v.VersionId));
        if (!page.IsTruncated) break;
        markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
      }
      expect(seen).toEqual([ids[2], ids[1], ids[0], z.VersionId]);
      const afterK = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED, KeyMarker: 'k' }));
      expect(afterK.Versions?.map((v) => v.Key)).toEqual(['z']);
    });

    it('keeps old versions in a .versions tree beside the objects, and across a restart', async () => {
      const first = await put('dir/k', 'one');
      await put('dir/k', 'two');
      expect(readdirSync(join(dataDir, '.versions', VERSIONED, 'dir', 'k')).sort()).toEqual(
        [String(first.VersionId), `${first.VersionId}.json`].sort(),
      );
      const reopened = new S3Store({ buckets: [VERSIONED], versionedBuckets: [VERSIONED], dataDir });
      expect((await reopened.readObject(VERSIONED, 'dir/k', first.VersionId)).toString()).toBe('one');
      expect((await reopened.readObject(VERSIONED, 'dir/k')).toString()).toBe('two');
    });

    it('reports versioning as Enabled', async () => {
      const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: VERSIONED }));
      expect(versioning.Status).toBe('Enabled');
    });
  });

  describe('the in-process store API', () => {
    it('returns the version id from putObject and reads a version with getObject', async () => {
      const first = await store.putObject(VERSIONED, 'pkg.zip', 'v1 bytes');
      const second = await store.putObject(VERSIONED, 'pkg.zip', 'v2 bytes');
      expect(first.versionId).toEqual(expect.any(String));
      expect(second.versionId).not.toBe(first.versionId);
      const { object, body } = await store.getObject(VERSIONED, 'pkg.zip', { versionId: first.versionId });
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('v1 bytes');
      expect(object.versionId).toBe(first.versionId);
      expect((await store.headObject(VERSIONED, 'pkg.zip')).versionId).toBe(second.versionId);
    });

    it('loses no version when puts of one key overlap', async () => {
      const puts = await Promise.all(['a', 'b', 'c', 'd'].map((body) => store.putObject(VERSIONED, 'k', body)));
      const listed = await store.listObjectVersions(VERSIONED);
      expect(listed.entries.map((e) => e.versionId).sort()).toEqual(puts.map((p) => p.versionId).sort());
      const bodies = await Promise.all(puts.map((p) => store.readObject(VERSIONED, 'k', p.versionId)));
      expect(bodies.map((b) => b.toString()).sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(listed.entries.filter((e) => e.isLatest)).toHaveLength(1);
    });
  });

  describe('on a bucket without versioning', () => {
    it('answers no version id, keeps one object per key, and lists it as the null version', async () => {
      const first = await put('k', 'one', PLAIN);
      await put('k', 'two', PLAIN);
      expect(first.VersionId).toBeUndefined();
      const got = await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: 'k' }));
      expect(got.VersionId).toBeUndefined();
      expect(await got.Body?.transformToString()).toBe('two');
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: PLAIN }));
      expect(listed.Versions).toEqual([expect.objectContaining({ Key: 'k', VersionId: 'null', IsLatest: true })]);
      expect(existsSync(join(dataDir, '.versions'))).toBe(false);
    });

    it('deletes the object outright, and refuses a version id other than null', async () => {
      await put('k', 'one', PLAIN);
      expect((await errorOf(text('k', 'abc', PLAIN))).name).toBe('InvalidArgument');
      const deleted = await s3.send(new DeleteObjectCommand({ Bucket: PLAIN, Key: 'k' }));
      expect(deleted.DeleteMarker).toBeUndefined();
      expect(deleted.VersionId).toBeUndefined();
      expect(await errorOf(text('k', undefined, PLAIN))).toEqual({ name: 'NoSuchKey', status: 404 });
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: PLAIN }))).Status).toBeUndefined();
    });

    it('keeps every version on an Object Lock bucket, as S3 does: a put or a delete hides one, none is removed', async () => {
      const first = await put('checkpoint', 'sealed', LOCKED);
      expect(first.VersionId).toEqual(expect.any(String));
      const second = await put('checkpoint', 'again', LOCKED);
      expect(await text('checkpoint', undefined, LOCKED)).toEqual({ body: 'again', versionId: second.VersionId });
      const marker = await s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: 'checkpoint' }));
      expect(marker.DeleteMarker).toBe(true);
      expect(await text('checkpoint', first.VersionId, LOCKED)).toEqual({ body: 'sealed', versionId: first.VersionId });
      expect(
        (
          await errorOf(
            s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: 'checkpoint', VersionId: first.VersionId })),
          )
        ).name,
      ).toBe('AccessDenied');
    });
  });
});

describe('the inventory of versioned buckets', () => {
  it('lists the buckets whose template enables versioning, as it lists locked ones', () => {
    const bucket = (name: string, properties: Record<string, unknown> = {}) => ({
      Type: 'AWS::S3::Bucket',
      Properties: { BucketName: name, ...properties },
    });
    const inventory = inventoryOf(
      new TemplateResolver(
        [
          {
            stackName: 'Gantry',
            template: {
              Resources: {
                Artifacts: bucket(VERSIONED, { VersioningConfiguration: { Status: 'Enabled' } }),
                Suspended: bucket('gantry-suspended', { VersioningConfiguration: { Status: 'Suspended' } }),
                Plain: bucket(PLAIN),
                Locked: bucket(LOCKED, { ObjectLockEnabled: true, VersioningConfiguration: { Status: 'Enabled' } }),
              },
            },
          },
        ],
        { region: 'eu-west-1', accountId: '000000000000', edgeEndpoint: '' },
      ),
    );
    expect(inventory.versionedBuckets).toEqual([VERSIONED, LOCKED]);
    expect(inventory.lockedBuckets).toEqual([LOCKED]);
  });
});
