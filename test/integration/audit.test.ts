import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT_ID } from '../../local/runtime';
import type { ChangeDossier } from '../../shared/audit/evidence';
import { auditExportsBucketName } from '../../shared/config/names';
import { gantry } from '../support/cli';
import { edgeClientConfig, eventually, startTestPlane, type TestPlane } from '../support/local';

/**
 * What a compliance person does, through the CLI against local mode: a prod release is built,
 * gated and approved; then its period is queried, exported and verified, and its dossier written.
 */
describe('the audit ledger through local mode and the CLI', () => {
  let t: TestPlane;
  let out: string;
  let releaseRun: string;

  beforeAll(async () => {
    t = await startTestPlane();
    out = mkdtempSync(join(tmpdir(), 'gantry-evidence-'));
    const { git } = await import('../../cli/local/sample-repo');
    git(t.repo(), 'checkout', '--quiet', '-B', 'release/2.0', 'develop');
    git(t.repo(), 'commit', '--quiet', '--allow-empty', '-m', 'Release 2.0');
    git(t.repo(), 'checkout', '--quiet', 'develop');
    const release = await t.push({ branch: 'release/2.0' });
    const waiting = await eventually('the approval request', async () =>
      (await t.runs.list({ pipeline: 'sample-service' })).find(
        (r) => r.commit === release.push.after && r.stages.approval?.status === 'waiting',
      ),
    );
    releaseRun = waiting.runId;
    const approved = await gantry(
      'runs',
      'approve',
      releaseRun.slice(0, 12),
      '--as',
      'bob',
      '--reason',
      'CHG-42 reviewed',
      '--data-dir',
      t.dataDir,
    );
    expect(approved.code).toBe(0);
    await eventually('the release to finish', async () =>
      (await t.runs.get(releaseRun))?.status === 'SUCCEEDED' ? true : undefined,
    );
  }, 90_000);
  afterAll(async () => {
    rmSync(out, { recursive: true, force: true });
    await t?.close();
  });

  it('every step wrote its event: query by run shows the whole change in order', async () => {
    const result = await gantry('audit', 'query', '--run', releaseRun, '--json', '--data-dir', t.dataDir);
    expect(result.code).toBe(0);
    const types = (JSON.parse(result.stdout) as { type: string }[]).map((e) => e.type);
    expect(types).toEqual([
      'run.started',
      'build.provenance',
      'build.finished',
      'gate.evaluated',
      'approval.requested',
      'approval.granted',
      'deploy.started',
      'deploy.succeeded',
      'run.succeeded',
    ]);
    const approvals = await gantry('audit', 'query', '--type', 'approval', '--env', 'prod', '--data-dir', t.dataDir);
    expect(approvals.stdout).toMatch(/^TIME\s+TYPE\s+OUTCOME\s+ACTOR/m);
    expect(approvals.stdout).toMatch(/approval\.granted\s+success\s+bob/);

    // The release's commit, whole or pasted in capitals, finds its events; 40 characters that name
    // no commit find none, and the CLI says how to look for the start of a SHA-256 id.
    const commit = (JSON.parse(result.stdout) as { subject: { commit: string } }[])[0]?.subject.commit ?? '';
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    const byCommit = await gantry(
      'audit',
      'query',
      '--commit',
      commit.toUpperCase(),
      '--json',
      '--data-dir',
      t.dataDir,
    );
    expect((JSON.parse(byCommit.stdout) as unknown[]).length).toBeGreaterThanOrEqual(types.length);
    const unknown = await gantry('audit', 'query', '--commit', 'f'.repeat(40), '--json', '--data-dir', t.dataDir);
    expect(unknown).toMatchObject({ code: 0, stdout: expect.stringContaining('[]') });
    expect(unknown.stderr).toContain(
      `no event names commit ${'f'.repeat(40)} as a whole SHA-1 id; if it is the start of a SHA-256 id, give all 64 characters, or --run, or --repository and --from, to look for it in`,
    );
  });

  it('writes a dossier with every part an auditor samples', async () => {
    const result = await gantry('audit', 'evidence', releaseRun.slice(0, 12), '--out', out, '--data-dir', t.dataDir);
    expect(result.code).toBe(0);
    // The start of a commit it cannot find: where it looked, and what to give instead.
    const unknown = await gantry('audit', 'evidence', 'e'.repeat(50), '--out', out, '--data-dir', t.dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `no run or commit ${'e'.repeat(50)}: a whole commit id is looked up in the ledger, the start of one among the last 1,000 runs; give the whole id for an older commit`,
    );
    const dossier = JSON.parse(readFileSync(join(out, `evidence-${releaseRun}.json`), 'utf8')) as ChangeDossier;
    expect(dossier.gaps).toEqual([]);
    expect(dossier).toMatchObject({
      subject: {
        repository: 'gantry-demo/sample-service',
        environment: 'prod',
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      },
      change: { provider: 'github', commits: [expect.objectContaining({ message: 'Release 2.0' })] },
      run: { outcome: 'succeeded', trigger: 'push', branch: 'release/2.0' },
      build: { status: 'SUCCEEDED' },
      tests: { failed: 0 },
      coverage: { linePercent: expect.any(Number) },
      findings: { error: 0, critical: 0, high: 0 },
      gates: { passed: true },
      approval: {
        required: true,
        separationOfDuties: true,
        decisions: [
          { decision: 'approved', by: 'bob', reason: 'CHG-42 reviewed', principal: expect.stringContaining('bob') },
        ],
      },
      deployment: { deployed: true, outcome: 'succeeded' },
      // No checkpoint has signed the run's records yet: the links hold, and the dossier says no more.
      integrity: {
        verified: true,
        checkpointed: false,
        checkpointsChecked: true,
        message: expect.stringContaining('signed by no checkpoint yet: run gantry audit checkpoint'),
      },
    });
    expect((dossier.tests?.total ?? 0) > 0).toBe(true);
    expect((await gantry('audit', 'checkpoint', '--data-dir', t.dataDir)).code).toBe(0);
    expect((await gantry('audit', 'evidence', releaseRun, '--out', out, '--data-dir', t.dataDir)).code).toBe(0);
    const signed = JSON.parse(readFileSync(join(out, `evidence-${releaseRun}.json`), 'utf8')) as ChangeDossier;
    expect(signed.integrity).toMatchObject({ verified: true, checkpointed: true });
    expect(signed.integrity.message).not.toContain('no checkpoint');
    const markdown = readFileSync(join(out, `evidence-${releaseRun}.md`), 'utf8');
    expect(markdown).toContain('| approved | bob |');
    expect(markdown).toContain('## Build, tests and scans');
  });

  it('exports the period with a manifest, signs a checkpoint, verifies (from the table and from an export of it), and catches an edit', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const file = join(out, 'period.csv');
    const exported = await gantry(
      'audit',
      'export',
      '--from',
      today,
      '--to',
      today,
      '--format',
      'csv',
      '--out',
      file,
      '--data-dir',
      t.dataDir,
    );
    expect(exported.code).toBe(0);
    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as { count: number };
    expect(readFileSync(file, 'utf8').trim().split('\r\n')).toHaveLength(manifest.count + 1);

    expect((await gantry('audit', 'checkpoint', '--data-dir', t.dataDir)).stdout).toMatch(/Signed \d+ chain head/);
    const clean = await gantry('audit', 'verify', '--data-dir', t.dataDir);
    // Two: the dossier's test signed one before this one.
    expect(clean).toMatchObject({ code: 0, stdout: expect.stringContaining('Checkpoints: 2 checked, 0 failed') });
    expect(clean.stdout).not.toContain('signed by no checkpoint');

    // The same ledger verified from a point-in-time export of its table: the same events, the same checkpoint.
    const fromExport = await gantry('audit', 'verify', '--from-export', '--data-dir', t.dataDir);
    expect(fromExport).toMatchObject({ code: 0, stdout: expect.stringContaining('Checkpoints: 2 checked, 0 failed') });
    const verified = (text: string) => /Verified (\d+) events/.exec(text)?.[1];
    expect(verified(fromExport.stdout)).toBe(verified(clean.stdout));
    const exportArn = /\((arn:aws:dynamodb:[^)]+\/export\/[^)]+)\)/.exec(fromExport.stderr)?.[1] as string;
    expect(exportArn).toMatch(/table\/gantry-audit\/export\/\d{14}-[0-9a-f]{8}$/);

    const db = new DynamoDBClient(edgeClientConfig(t.plane));
    await db.send(
      new UpdateItemCommand({
        TableName: 'gantry-audit',
        Key: { chain: { S: 'gantry-demo/sample-service' }, seq: { N: '2' } },
        UpdateExpression: 'SET outcome = :o',
        ExpressionAttributeValues: { ':o': { S: 'failure' } },
      }),
    );
    db.destroy();
    const broken = await gantry('audit', 'verify', '--data-dir', t.dataDir);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /First broken link: chain "gantry-demo\/sample-service", seq 2: record seq 2 .* was edited/,
    );
    // The dossier of a change on that chain is still written, and says why it cannot vouch: exit 1.
    const unvouched = await gantry('audit', 'evidence', releaseRun, '--out', out, '--data-dir', t.dataDir);
    expect(unvouched).toMatchObject({
      code: 1,
      stdout: expect.stringContaining(`evidence-${releaseRun}.json`),
      stderr: expect.stringContaining(`run ${releaseRun}: its ledger records do not verify: record seq 2`),
    });

    // A new export holds the edit and breaks at the same link; the export made before it still verifies.
    const brokenExport = await gantry('audit', 'verify', '--from-export', '--data-dir', t.dataDir);
    expect(brokenExport.code).toBe(1);
    expect(brokenExport.stdout).toMatch(
      /First broken link: chain "gantry-demo\/sample-service", seq 2: record seq 2 .* was edited/,
    );
    expect(await gantry('audit', 'verify', '--from-export', exportArn, '--data-dir', t.dataDir)).toMatchObject({
      code: 0,
    });

    // Named by its folder, the export is matched to DynamoDB's record of it; its summary copied elsewhere is not.
    const exportFolder = `ledger/AWSDynamoDB/${exportArn.split('/').pop()}`;
    const bucket = auditExportsBucketName(LOCAL_ACCOUNT_ID, t.plane.region);
    expect(
      await gantry('audit', 'verify', '--from-export', `s3://${bucket}/${exportFolder}/`, '--data-dir', t.dataDir),
    ).toMatchObject({ code: 0 });
    const s3 = new S3Client({ ...edgeClientConfig(t.plane), forcePathStyle: true });
    const summary = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `${exportFolder}/manifest-summary.json` }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'elsewhere/AWSDynamoDB/copy/manifest-summary.json',
        Body: await summary.Body?.transformToByteArray(),
      }),
    );
    s3.destroy();
    const copied = await gantry(
      'audit',
      'verify',
      '--from-export',
      `s3://${bucket}/elsewhere/AWSDynamoDB/copy`,
      '--data-dir',
      t.dataDir,
    );
    expect(copied.code).toBe(1);
    expect(copied.stderr).toMatch(/is not where DynamoDB wrote .*: its summary was copied or forged/);
    // Ten gantry commands in turn: on 2 busy cores that is more than the 30 s hang guard for one step.
  }, 120_000);
});
