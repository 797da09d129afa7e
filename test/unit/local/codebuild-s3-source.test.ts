import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCodeBuild, type ProjectSpec } from '../../../local/codebuild';
import { S3Store } from '../../../local/s3';
import { zipOf } from '../source/zips';

const BUCKET = 'gantry-artifacts';
const PROJECT: ProjectSpec = {
  name: 'snapshot-build',
  arn: 'arn:aws:codebuild:eu-west-1:000000000000:project/snapshot-build',
  environmentVariables: [],
  timeoutMinutes: 10,
  source: { type: 'S3', location: `${BUCKET}/sources/app/` },
};
const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands:\n      - ./ci.sh\n      - cat docs/readme\n';

let dataDir: string;
let store: S3Store;
let codebuild: LocalCodeBuild;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gantry-s3src-'));
  store = new S3Store({ buckets: [BUCKET], versionedBuckets: [BUCKET], dataDir: join(dataDir, 's3') });
  codebuild = new LocalCodeBuild({
    projects: [PROJECT],
    dataDir: join(dataDir, 'codebuild'),
    region: 'eu-west-1',
    accountId: '000000000000',
    s3: store,
    secrets: async () => '',
    killGraceMs: 200,
  });
});
afterEach(async () => {
  await codebuild.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function snapshot(says: string): Buffer {
  return zipOf([
    { name: 'buildspec.yml', content: BUILDSPEC },
    { name: 'ci.sh', content: `#!/bin/sh\necho ${says}\n`, mode: 0o755 },
    { name: 'text/' },
    { name: 'text/readme', content: `readme of ${says}\n` },
    { name: 'docs', symlink: 'text' },
  ]);
}

async function build(input: Record<string, unknown>) {
  const started = codebuild.startBuild({ projectName: PROJECT.name, ...input });
  const done = await codebuild.waitForBuild(started.id);
  return { done, log: (await codebuild.buildLog(done.id)).join('\n') };
}

describe('an S3 source in local mode', () => {
  it('runs from exactly the version named, unpacked with its modes and links, as CodeBuild does', async () => {
    const key = 'sources/app/c0ffee/one.zip';
    const first = await store.putObject(BUCKET, key, snapshot('first'));
    await store.putObject(BUCKET, key, snapshot('second'));
    const { done, log } = await build({
      sourceTypeOverride: 'S3',
      sourceLocationOverride: `${BUCKET}/${key}`,
      sourceVersion: first.versionId,
    });
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(log).toMatch(/^first$/m);
    expect(log).toMatch(/^readme of first$/m);
    expect(log).not.toMatch(/second/);
    expect(done).toMatchObject({
      source: { type: 'S3', location: `${BUCKET}/${key}` },
      sourceVersion: first.versionId,
    });
  });

  it('fails DOWNLOAD_SOURCE with CLIENT_ERROR for an archive that leads out of the workspace, writing nothing there', async () => {
    await store.putObject(
      BUCKET,
      'sources/app/bad.zip',
      zipOf([
        { name: 'buildspec.yml', content: BUILDSPEC },
        { name: 'link', symlink: '../../..' },
      ]),
    );
    const { done } = await build({ sourceLocationOverride: `${BUCKET}/sources/app/bad.zip` });
    const download = done.phases.find((p) => p.phaseType === 'DOWNLOAD_SOURCE');
    expect(done.buildStatus).toBe('FAILED');
    expect(download?.contexts?.[0]).toMatchObject({
      statusCode: 'CLIENT_ERROR',
      message: expect.stringMatching(/symlink link → \.\.\/\.\.\/\.\. leads out of the repository/),
    });
  });

  it('fails DOWNLOAD_SOURCE when the object or its version is not there', async () => {
    const { done } = await build({ sourceLocationOverride: `${BUCKET}/sources/app/none.zip` });
    expect(done.phases.find((p) => p.phaseType === 'DOWNLOAD_SOURCE')?.contexts?.[0]).toMatchObject({
      statusCode: 'CLIENT_ERROR',
      message: expect.stringMatching(/error while downloading source s3:\/\/gantry-artifacts\/sources\/app\/none\.zip/),
    });
  });
});
