import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RunPlan } from '../../events';
import type {
  BuildInfo,
  BuildPhase,
  BuildSource,
  ObjectVersion,
  ProvenanceSigner,
  StoredVersion,
  VersionedObjects,
} from '../../shared/provenance/ports';
import type { RunRecord } from '../../shared/runs/model';
import type { RunStore } from '../../shared/runs/store';

/** A versioned bucket in memory: every put is a new version; reads name or report the version. */
export class MemoryVersionedObjects implements VersionedObjects {
  private readonly stored = new Map<string, { versionId: string; bytes: Buffer; lastModified: Date }[]>();

  /** The time S3 gives a version it writes: the test's to set. */
  clock: () => Date = () => new Date();

  /** Keys under a prefix (for tests; Gantry lists versions). */
  async list(bucket: string, prefix: string): Promise<string[]> {
    return [...this.stored.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  async versions(bucket: string, prefix: string): Promise<StoredVersion[]> {
    return (await this.list(bucket, prefix)).flatMap((key) =>
      [...(this.stored.get(`${bucket}/${key}`) ?? [])]
        .reverse()
        .map(({ versionId, lastModified }) => ({ key, versionId, lastModified, deleteMarker: false })),
    );
  }

  async get(bucket: string, key: string, versionId?: string): Promise<ObjectVersion> {
    const found = this.bytesOf(bucket, key, versionId);
    return { versionId: found.versionId, body: Readable.from([found.bytes]) };
  }

  async put(bucket: string, key: string, body: Buffer): Promise<string> {
    const list = this.stored.get(`${bucket}/${key}`) ?? [];
    const versionId = randomUUID();
    list.push({ versionId, bytes: Buffer.from(body), lastModified: this.clock() });
    this.stored.set(`${bucket}/${key}`, list);
    return versionId;
  }

  /** Removes one version, as DeleteObject with a VersionId does. */
  deleteVersion(bucket: string, key: string, versionId: string): void {
    const list = this.stored.get(`${bucket}/${key}`) ?? [];
    this.stored.set(
      `${bucket}/${key}`,
      list.filter((v) => v.versionId !== versionId),
    );
  }

  bytesOf(bucket: string, key: string, versionId?: string): { versionId: string; bytes: Buffer } {
    const list = this.stored.get(`${bucket}/${key}`) ?? [];
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

/**
 * A build of `plan` that succeeded, as CodeBuild reports it: its artifacts under `artifacts`
 * (`<bucket>/<prefix>`, no trailing slash), uploaded from `upload[0]` to `upload[1]`.
 */
export function succeededBuild(
  id: string,
  plan: RunPlan,
  artifacts: string,
  upload: readonly [Date, Date],
  times: { startTime: string | null; endTime: string | null } = { startTime: null, endTime: null },
): BuildInfo {
  return {
    id,
    arn: `arn:aws:codebuild:us-east-1:000000000000:build/${id}`,
    projectName: plan.build.projectName,
    status: 'SUCCEEDED',
    resolvedSourceVersion: plan.commit,
    artifactsLocation: `arn:aws:s3:::${artifacts}`,
    buildspec: 'buildspec.yml',
    ...times,
    phases: buildPhases(upload[0], upload[1]),
  };
}

/** The runs table holding `plan`'s run, in memory: what RecordProvenance reads and updates. */
export function runsOf(plan: RunPlan): { runs: RunStore; saved: Map<string, RunRecord> } {
  const saved = new Map<string, RunRecord>([
    [
      plan.runId,
      {
        runId: plan.runId,
        executionArn: plan.executionArn,
        commit: plan.commit,
        pipeline: plan.pipeline,
        plan,
      } as RunRecord,
    ],
  ]);
  const runs = {
    get: async (id: string) => saved.get(id),
    update: async (id: string, fields: Partial<RunRecord>) =>
      void saved.set(id, { ...(saved.get(id) as RunRecord), ...fields }),
  } as unknown as RunStore;
  return { runs, saved };
}

/**
 * A build's phases as CodeBuild reports them, its UPLOAD_ARTIFACTS from `uploadStart` to
 * `uploadEnd` (the phases before it end at its start, FINALIZING and COMPLETED at its end).
 */
export function buildPhases(uploadStart: Date, uploadEnd: Date): BuildPhase[] {
  const [start, end] = [uploadStart.toISOString(), uploadEnd.toISOString()];
  const done = (type: string, from: string, to: string) => ({
    type,
    status: 'SUCCEEDED',
    startTime: from,
    endTime: to,
  });
  return [
    ...['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD'].map(
      (type) => done(type, start, start),
    ),
    done('UPLOAD_ARTIFACTS', start, end),
    done('FINALIZING', end, end),
    { type: 'COMPLETED', status: null, startTime: end, endTime: null },
  ];
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
