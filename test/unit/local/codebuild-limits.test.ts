import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeBuildClient, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { PROJECT_ROOT } from '../../../infra/paths';
import {
  type BuildDescription,
  type CodeBuildOptions,
  LocalCodeBuild,
  type ProjectSpec,
  RESTARTED,
} from '../../../local/codebuild';
import { startEdge } from '../../../local/edge/server';
import { S3Store } from '../../../local/s3';
import { localClientConfig } from '../../support/aws';

const PROJECT: ProjectSpec = {
  name: 'limits',
  arn: 'arn:aws:codebuild:eu-west-1:000000000000:project/limits',
  environmentVariables: [],
  timeoutMinutes: 5,
};
/**
 * Five minutes (CodeBuild's shortest timeout) pass in five seconds in the tests that time a build
 * out: long enough that cloning and starting the commands on a loaded 2-core machine never races
 * the timeout. Every other test runs at real time, so only the timeout tests can time out.
 */
const TIMEOUT_COMPRESSION = 60;

/** A bare repository whose one commit holds `buildspec.yml`. */
function repoWith(buildspecText: string): { bare: string; commit: string } {
  const root = mkdtempSync(join(tmpdir(), 'gantry-limits-repo-'));
  const work = join(root, 'work');
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, 'buildspec.yml'), buildspecText);
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', work, ...args])
      .toString()
      .trim();
  git('add', '.');
  git('-c', 'user.name=Gantry Test', '-c', 'user.email=test@gantry.invalid', 'commit', '-qm', 'fixture');
  execFileSync('git', ['clone', '-q', '--bare', work, join(root, 'repo.git')]);
  return { bare: join(root, 'repo.git'), commit: git('rev-parse', 'HEAD') };
}

function codebuildIn(dataDir: string, options: Partial<CodeBuildOptions> = {}): LocalCodeBuild {
  return new LocalCodeBuild({
    projects: [PROJECT],
    dataDir,
    region: 'eu-west-1',
    accountId: '000000000000',
    s3: new S3Store({ buckets: [], dataDir: join(dataDir, 's3') }),
    secrets: async () => {
      throw new Error('no secrets here');
    },
    killGraceMs: 300,
    ...options,
  });
}

function start(codebuild: LocalCodeBuild, repo: { bare: string; commit: string }): BuildDescription {
  return codebuild.startBuild({
    projectName: PROJECT.name,
    sourceTypeOverride: 'GITHUB',
    sourceLocationOverride: repo.bare,
    sourceVersion: repo.commit,
  });
}

/** Whether a process is alive: neither gone nor a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** The pids a build's commands appended to `$HOME/pids`. */
function childPids(dataDir: string, id: string): number[] {
  const file = join(dataDir, 'builds', id, 'home', 'pids');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map(Number) : [];
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const phase = (build: BuildDescription, type: string) => build.phases.find((p) => p.phaseType === type);

/** Two background children and a foreground one, as a build that starts a server and its tests would. */
const PROCESS_TREE = `version: 0.2
phases:
  build:
    commands:
      - sleep 100 & echo $! >> "$HOME/pids"; sleep 100 & echo $! >> "$HOME/pids"; wait
  post_build:
    commands:
      - echo never
`;

describe("the local build runner's limits", () => {
  let dataDir: string;
  let codebuild: LocalCodeBuild;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-limits-'));
    codebuild = codebuildIn(dataDir);
  });
  afterEach(async () => codebuild.close());

  it('times a build out and kills its whole process tree', async () => {
    await codebuild.close();
    codebuild = codebuildIn(dataDir, { timeCompression: TIMEOUT_COMPRESSION });
    const { id } = start(codebuild, repoWith(PROCESS_TREE));
    await until(() => childPids(dataDir, id).length === 2);
    const done = await codebuild.waitForBuild(id);
    expect(done.buildStatus).toBe('TIMED_OUT');
    expect(phase(done, 'BUILD')).toMatchObject({
      phaseStatus: 'TIMED_OUT',
      contexts: [{ statusCode: 'BUILD_TIMED_OUT', message: 'Build has timed out.' }],
    });
    expect(done.phases.map((p) => p.phaseType).slice(-3)).toEqual(['BUILD', 'FINALIZING', 'COMPLETED']);
    expect(childPids(dataDir, id).filter(alive)).toEqual([]);
  });

  it('escalates to SIGKILL for processes that ignore SIGTERM', async () => {
    const stubborn = `version: 0.2
phases:
  build:
    commands:
      - bash -c 'trap "" TERM; echo $$ >> "$HOME/pids"; while :; do sleep 0.05; done' & wait
`;
    await codebuild.close();
    codebuild = codebuildIn(dataDir, { timeCompression: TIMEOUT_COMPRESSION });
    const { id } = start(codebuild, repoWith(stubborn));
    await until(() => childPids(dataDir, id).length === 1);
    const done = await codebuild.waitForBuild(id);
    expect(done.buildStatus).toBe('TIMED_OUT');
    expect(childPids(dataDir, id).filter(alive)).toEqual([]);
  });

  it('stops a build through StopBuild and kills its whole process tree', async () => {
    const edge = await startEdge({ port: 0, services: [codebuild] });
    const client = new CodeBuildClient(localClientConfig(edge.endpoint));
    try {
      const { id } = start(codebuild, repoWith(PROCESS_TREE));
      await until(() => childPids(dataDir, id).length === 2);
      const { build } = await client.send(new StopBuildCommand({ id }));
      expect(build?.id).toBe(id);
      const done = await codebuild.waitForBuild(id);
      expect(done.buildStatus).toBe('STOPPED');
      expect(phase(done, 'BUILD')?.phaseStatus).toBe('STOPPED');
      expect(phase(done, 'POST_BUILD')).toBeUndefined();
      expect(childPids(dataDir, id).filter(alive)).toEqual([]);
    } finally {
      client.destroy();
      await edge.close();
    }
  });

  it('caps the output a log keeps, and says so', async () => {
    await codebuild.close();
    codebuild = codebuildIn(dataDir, { maxLogBytes: 20_000 });
    const loud = `version: 0.2
phases:
  build:
    commands:
      - for i in $(seq 1 5000); do echo "line $i of output"; done
      - echo after the flood
`;
    const { id } = start(codebuild, repoWith(loud));
    const done = await codebuild.waitForBuild(id);
    expect(done.buildStatus).toBe('SUCCEEDED');
    const file = join(dataDir, 'builds', id, 'build.log');
    expect(statSync(file).size).toBeLessThan(20_000 + 8_000);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('line 1 of output');
    expect(text).not.toContain('line 5000 of output');
    expect(text).toContain('Output over 20000 bytes: the rest is not kept');
    expect(text).toContain('Phase complete: BUILD State: SUCCEEDED');
    const tail = await codebuild.buildLog(id, { tail: 1 });
    expect(tail[0]).toMatch(/Log truncated: \d+ bytes of output past the 20000-byte limit were dropped/);
  });

  it('fails DOWNLOAD_SOURCE when the commit is not in the repository', async () => {
    const repo = repoWith('version: 0.2\n');
    const { id } = start(codebuild, { bare: repo.bare, commit: 'f'.repeat(40) });
    const done = await codebuild.waitForBuild(id);
    expect(phase(done, 'DOWNLOAD_SOURCE')).toMatchObject({
      phaseStatus: 'FAILED',
      contexts: [
        {
          statusCode: 'CLIENT_ERROR',
          message: `reference not found for primary source and source version ${'f'.repeat(40)}`,
        },
      ],
    });
    expect(done.buildStatus).toBe('FAILED');
  });

  it('checks out a branch name as the commit it points at, and refuses a repository it would need the network for', async () => {
    const repo = repoWith('version: 0.2\n');
    const byBranch = await codebuild.waitForBuild(start(codebuild, { bare: repo.bare, commit: 'main' }).id);
    expect(byBranch).toMatchObject({ buildStatus: 'SUCCEEDED', resolvedSourceVersion: repo.commit });
    const remote = start(codebuild, { bare: 'https://github.com/acme/widgets.git', commit: repo.commit });
    const refused = await codebuild.waitForBuild(remote.id);
    expect(phase(refused, 'DOWNLOAD_SOURCE')?.contexts?.[0]?.message).toMatch(/clone local repositories only/);
  });

  it('keeps finished builds across a restart and numbers the next build after them', async () => {
    const repo = repoWith('version: 0.2\n');
    const first = await codebuild.waitForBuild(start(codebuild, repo).id);
    await codebuild.close();
    codebuild = codebuildIn(dataDir);
    expect(codebuild.getBuild(first.id)).toEqual(first);
    const second = await codebuild.waitForBuild(start(codebuild, repo).id);
    expect(second.buildNumber).toBe(2);
  });

  it('fails a build the runtime was running when it died, and kills what the build left behind', async () => {
    const repo = repoWith(PROCESS_TREE.replace('wait', 'wait; echo finished'));
    const id = await buildInDyingRuntime(dataDir, repo);
    await until(() => childPids(dataDir, id).length === 2);
    const orphans = childPids(dataDir, id);
    expect(orphans.filter(alive)).toHaveLength(2);

    codebuild = codebuildIn(dataDir);
    const build = codebuild.getBuild(id);
    expect(build).toMatchObject({ buildStatus: 'FAILED', currentPhase: 'COMPLETED', buildComplete: true });
    expect(phase(build, 'BUILD')).toMatchObject({ phaseStatus: 'FAILED', contexts: [RESTARTED] });
    expect(existsSync(join(dataDir, 'builds', id, 'shell'))).toBe(false);
    await until(() => orphans.filter(alive).length === 0, 3_000);
  }, 30_000);
});

/**
 * Runs a build in a separate Node process (local mode's runtime) and SIGKILLs that process once
 * the build is in its BUILD phase, as a crash would: the build's process group outlives it.
 */
async function buildInDyingRuntime(dataDir: string, repo: { bare: string; commit: string }): Promise<string> {
  const script = join(dataDir, 'runtime.ts');
  writeFileSync(
    script,
    `import { LocalCodeBuild } from ${JSON.stringify(join(PROJECT_ROOT, 'local/codebuild/index.ts'))};
import { S3Store } from ${JSON.stringify(join(PROJECT_ROOT, 'local/s3/index.ts'))};
const dataDir = ${JSON.stringify(dataDir)};
const codebuild = new LocalCodeBuild({
  projects: [${JSON.stringify(PROJECT)}], dataDir, region: 'eu-west-1', accountId: '000000000000',
  s3: new S3Store({ buckets: [], dataDir: dataDir + '/s3' }), secrets: async () => '',
});
const build = codebuild.startBuild(${JSON.stringify({
      projectName: PROJECT.name,
      sourceTypeOverride: 'GITHUB',
      sourceLocationOverride: repo.bare,
      sourceVersion: repo.commit,
    })});
const poll = setInterval(() => {
  if (codebuild.getBuild(build.id).currentPhase === 'BUILD') { clearInterval(poll); console.log(build.id); }
}, 20);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const id = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.on('exit', (code) => reject(new Error(`the runtime exited (${code}) before the build started`)));
  });
  await until(() => childPids(dataDir, id).length === 2);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  return id;
}
