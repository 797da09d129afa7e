import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  BuildInfo,
  BuildSource,
  ObjectVersion,
  ProvenanceSigner,
  VersionedObjects,
} from '../../shared/provenance/ports';

/** A versioned bucket in memory: every put is a new version; reads name or report the version. */
export class MemoryVersionedObjects implements VersionedObjects {
  private readonly versions = new Map<string, { versionId: string; bytes: Buffer }[]>();

  async list(bucket: string, prefix: string): Promise<string[]> {
    return [...this.versions.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  async get(bucket: string, key: string, versionId?: string): Promise<ObjectVersion> {
    const found = this.bytesOf(bucket, key, versionId);
    return { versionId: found.versionId, body: Readable.from([found.bytes]) };
  }

  async put(bucket: string, key: string, body: Buffer): Promise<string> {
    const list = this.versions.get(`${bucket}/${key}`) ?? [];
    const versionId = randomUUID();
    list.push({ versionId, bytes: Buffer.from(body) });
    this.versions.set(`${bucket}/${key}`, list);
    return versionId;
  }

  /** Removes one version, as DeleteObject with a VersionId does. */
  deleteVersion(bucket: string, key: string, versionId: string): void {
    const list = this.versions.get(`${bucket}/${key}`) ?? [];
    this.versions.set(
      `${bucket}/${key}`,
      list.filter((v) => v.versionId !== versionId),
    );
  }

  bytesOf(bucket: string, key: string, versionId?: string): { versionId: string; bytes: Buffer } {
    const list = this.versions.get(`${bucket}/${key}`) ?? [];
    const found = versionId === undefined ? list.at(-1) : list.find((v) => v.versionId === versionId);
    if (found === undefined)
      throw Object.assign(new Error(`no ${key}@${versionId ?? 'latest'}`), { name: 'NoSuchVersion' });
    return found;
  }
}

/** A signing key for tests: HMAC-SHA256 over the digest, so a signature by another key never verifies. */
export class HmacSigner implements ProvenanceSigner {
  constructor(
    readonly keyId = 'arn:aws:kms:us-east-1:123456789012:key/provenance',
    private readonly secret = randomUUID(),
  ) {}
  async sign(digest: Buffer): Promise<Buffer> {
    return createHmac('sha256', this.secret).update(digest).digest();
  }
  async verify(digest: Buffer, signature: Buffer): Promise<boolean> {
    const expected = await this.sign(digest);
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
}

/** CodeBuild's record of builds, as the test says they ran. */
export class FakeBuildSource implements BuildSource {
  readonly builds = new Map<string, BuildInfo>();
  async getBuild(id: string): Promise<BuildInfo> {
    const build = this.builds.get(id);
    if (build === undefined) throw new Error(`no build ${id}`);
    return build;
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
