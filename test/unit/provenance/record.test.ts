import type { RunPlan } from '../../../events';
import { resolvePlan } from '../../../shared/pipelines/plan';
import type { BuildPhase } from '../../../shared/provenance/ports';
import { recordProvenance } from '../../../shared/provenance/record';
import { UPLOAD_CLOCK_TOLERANCE_MS } from '../../../shared/provenance/upload';
import type { RunRecord } from '../../../shared/runs/model';
import { planRequest, sourceEvent } from '../../support/plans';
import {
  FakeBuildSource,
  HmacSigner,
  MemoryVersionedObjects,
  runsOf,
  sha256,
  succeededBuild,
} from '../../support/provenance-fakes';
import { MemoryAudit } from '../../support/receiver-fakes';

const BUCKET = 'artifacts-bucket';
const BUILD = 'gantry-widgets:b1';
const PREFIX = 'releases/widgets/ungated/b1/artifacts/';
const UPLOAD_START = new Date('2026-12-01T10:05:00.000Z');
const UPLOAD_END = new Date('2026-12-01T10:05:04.000Z');
const seconds = (at: Date, s: number) => new Date(at.getTime() + s * 1000);

/**
 * A release build of the widgets pipeline whose CodeBuild record says it uploaded its artifacts
 * from UPLOAD_START to UPLOAD_END, and a bucket the test writes into at the times it says, as
 * CodeBuild (or anyone else holding the project's role) would.
 */
function fixture() {
  const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
  const { runs, saved } = runsOf(plan);
  const objects = new MemoryVersionedObjects();
  const builds = new FakeBuildSource();
  builds.builds.set(
    BUILD,
    succeededBuild(BUILD, plan, `${BUCKET}/${PREFIX.slice(0, -1)}`, [UPLOAD_START, UPLOAD_END], {
      startTime: '2026-12-01T10:00:00.000Z',
      endTime: '2026-12-01T10:05:06.000Z',
    }),
  );
  const audit = new MemoryAudit();
  const deps = {
    runs,
    audit,
    objects,
    builds,
    signer: new HmacSigner(),
    logger: { info: () => undefined, warn: () => undefined },
    clock: () => new Date('2026-12-01T10:06:00.000Z'),
  };
  /** Writes `name` under the build's prefix as S3 would at `at`. */
  const write = async (name: string, at: Date, bytes = `${name} at ${at.toISOString()}`) => {
    objects.clock = () => at;
    return objects.put(BUCKET, `${PREFIX}${name}`, Buffer.from(bytes));
  };
  const record = () => recordProvenance(deps, plan, BUILD, plan.executionArn);
  return { plan, saved, objects, builds, audit, deps, write, record };
}

/** What a refusal left: no provenance on the run, no envelope, and the forged input in the ledger. */
async function expectRefused(f: ReturnType<typeof fixture>, plan: RunPlan, reason: RegExp): Promise<void> {
  await expect(f.record()).rejects.toMatchObject({
    name: 'Gantry.ProvenanceNotRecorded',
    check: 'artifacts',
    message: expect.stringMatching(reason),
  });
  expect(f.saved.get(plan.runId)?.provenance).toBeUndefined();
  expect(await f.objects.list(BUCKET, 'provenance/')).toEqual([]);
  expect(f.audit.records.map((r) => [r.type, r.details])).toEqual([
    [
      'security.forged_input',
      expect.objectContaining({ step: 'record-provenance', reason: expect.stringMatching(reason) }),
    ],
  ]);
}

describe('recordProvenance, against writes to the build prefix that were not its upload', () => {
  it('attests what CodeBuild uploaded within its UPLOAD_ARTIFACTS phase', async () => {
    const f = fixture();
    const version = await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    await expect(f.record()).resolves.toMatchObject({ subjects: 1 });
    expect(f.saved.get(f.plan.runId)?.provenance?.subjects).toEqual([
      { name: 'dist/function.zip', sha256: expect.any(String), versionId: version },
    ]);
  });

  it('refuses an artifact overwritten after the upload and before provenance, naming both versions', async () => {
    const f = fixture();
    const uploaded = await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    const forged = await f.write('dist/function.zip', seconds(UPLOAD_END, 20), 'unreviewed code');
    await expectRefused(
      f,
      f.plan,
      new RegExp(
        `dist/function.zip has 2 versions \\(${forged} at 2026-12-01T10:05:24.000Z, ${uploaded} at 2026-12-01T10:05:01.000Z\\)`,
      ),
    );
    expect(f.audit.records[0]?.details).toMatchObject({
      reason: expect.stringContaining('UPLOAD_ARTIFACTS 2026-12-01T10:05:00.000Z to 2026-12-01T10:05:04.000Z'),
    });
  });

  it('refuses an artifact overwritten during the upload phase itself: two versions are never one upload', async () => {
    const f = fixture();
    await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    await f.write('dist/function.zip', seconds(UPLOAD_START, 2), 'unreviewed code');
    await expectRefused(f, f.plan, /dist\/function.zip has 2 versions/);
  });

  it('refuses a key added after the build ended (one version, written outside the phase)', async () => {
    const f = fixture();
    await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    await f.write('reports/junit.xml', seconds(UPLOAD_END, 30), '<testsuites failures="0"/>');
    await expectRefused(
      f,
      f.plan,
      /reports\/junit.xml was written after the upload ended \(\S+ at 2026-12-01T10:05:34.000Z\)/,
    );
  });

  it('refuses a key written during the build, before its upload began', async () => {
    const f = fixture();
    await f.write('dist/extra.js', seconds(UPLOAD_START, -60));
    await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    await expectRefused(f, f.plan, /dist\/extra.js was written before the upload began/);
  });

  it('names every offending key, the first ten in full', async () => {
    const f = fixture();
    for (let i = 0; i < 12; i++) await f.write(`late/${String(i).padStart(2, '0')}`, seconds(UPLOAD_END, 60));
    await expectRefused(f, f.plan, /late\/00 was written after .*late\/09 was written after [^;]*; and 2 more, under /);
  });

  it.each([
    ['has no UPLOAD_ARTIFACTS phase', (p: readonly BuildPhase[]) => p.filter((x) => x.type !== 'UPLOAD_ARTIFACTS')],
    [
      'reports the phase without an end',
      (p: readonly BuildPhase[]) =>
        p.map((x) => (x.type === 'UPLOAD_ARTIFACTS' ? { ...x, status: null, endTime: null } : x)),
    ],
    [
      'reports the phase failed',
      (p: readonly BuildPhase[]) => p.map((x) => (x.type === 'UPLOAD_ARTIFACTS' ? { ...x, status: 'FAILED' } : x)),
    ],
  ])('refuses a build whose CodeBuild record %s: the upload cannot be told from other writes', async (_, edit) => {
    const f = fixture();
    const build = await f.builds.getBuild(BUILD);
    f.builds.builds.set(BUILD, { ...build, phases: edit(build.phases) });
    await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    await expectRefused(f, f.plan, /no ended, succeeded UPLOAD_ARTIFACTS phase for build gantry-widgets:b1/);
  });

  it("allows S3's whole-second LastModified and the clocks' skew at either edge of the phase, and no more", async () => {
    const tolerance = UPLOAD_CLOCK_TOLERANCE_MS / 1000;
    const inside = fixture();
    await inside.write('first', seconds(UPLOAD_START, -tolerance));
    await inside.write('last', seconds(UPLOAD_END, tolerance));
    await expect(inside.record()).resolves.toMatchObject({ subjects: 2 });
    const before = fixture();
    await before.write('first', seconds(UPLOAD_START, -tolerance - 0.001));
    await expectRefused(before, before.plan, /first was written before the upload began/);
    const after = fixture();
    await after.write('last', seconds(UPLOAD_END, tolerance + 0.001));
    await expectRefused(after, after.plan, /last was written after the upload ended/);
  });

  it('refuses a prod build whose artifacts lie under the prefix the ungated project (develop, previews) writes', async () => {
    const f = fixture();
    const prod = resolvePlan(planRequest(sourceEvent({ branch: 'release/2.0', ref: 'refs/heads/release/2.0' })));
    f.saved.set(prod.runId, { runId: prod.runId, executionArn: prod.executionArn, plan: prod } as RunRecord);
    const build = await f.builds.getBuild(BUILD);
    f.builds.builds.set(BUILD, { ...build, projectName: prod.build.projectName, resolvedSourceVersion: prod.commit });
    await f.write('dist/function.zip', seconds(UPLOAD_START, 1));
    await expect(recordProvenance(f.deps, prod, BUILD, prod.executionArn)).rejects.toMatchObject({
      name: 'Gantry.ProvenanceNotRecorded',
      check: 'build',
      message: expect.stringMatching(
        /put its artifacts at .*releases\/widgets\/ungated\/b1\/artifacts, outside releases\/widgets\/gated\//,
      ),
    });
  });

  it('hashes the version it listed, not one written between the listing and the read', async () => {
    const f = fixture();
    const uploaded = await f.write('dist/function.zip', seconds(UPLOAD_START, 1), 'the upload');
    // The overwrite lands after the prefix was listed, just before the artifact is read.
    const get = f.objects.get.bind(f.objects);
    f.objects.get = async (bucket: string, key: string, versionId?: string) => {
      if (key.endsWith('function.zip')) await f.write('dist/function.zip', seconds(UPLOAD_END, 10), 'unreviewed code');
      return get(bucket, key, versionId);
    };
    await f.record();
    expect(f.saved.get(f.plan.runId)?.provenance?.subjects).toEqual([
      { name: 'dist/function.zip', sha256: sha256(Buffer.from('the upload')), versionId: uploaded },
    ]);
  });
});
