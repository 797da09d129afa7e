import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  BatchGetBuildsCommand,
  BatchGetProjectsCommand,
  type Build,
  CodeBuildClient,
  DeleteProjectCommand,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  type StartBuildCommandInput,
} from '@aws-sdk/client-codebuild';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BuildSyncError, type CodeBuildOptions, LocalCodeBuild, type ProjectSpec } from '../../../local/codebuild';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { createS3Endpoint, S3Store } from '../../../local/s3';
import { localClientConfig } from '../../support/aws';

const ACCOUNT = '000000000000';
const BUCKET = 'gantry-artifacts';
const PROJECT: ProjectSpec = {
  name: 'service-build',
  arn: `arn:aws:codebuild:eu-west-1:${ACCOUNT}:project/service-build`,
  environmentVariables: [{ name: 'STAGE', value: 'project', type: 'PLAINTEXT' }],
  timeoutMinutes: 10,
  artifacts: { bucket: BUCKET, path: 'builds', packaging: 'NONE' },
  reportGroups: [
    { name: 'service-build-junit', arn: `arn:aws:codebuild:eu-west-1:${ACCOUNT}:report-group/service-build-junit` },
  ],
};
const SECRETS: Record<string, string> = {
  'gantry/npm-token': 'npm-s3cr3t-t0ken',
  'gantry/deploy': JSON.stringify({ password: 'hunter2-deploy-pw', user: 'ci' }),
};

/** A bare repository holding one commit of `files`, as a provider's clone URL would serve it. */
function gitRepo(files: Record<string, string>): { bare: string; commit: string } {
  const root = mkdtempSync(join(tmpdir(), 'gantry-repo-'));
  const work = join(root, 'work');
  execFileSync('git', ['init', '-q', '-b', 'main', work]);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', work, ...args])
      .toString()
      .trim();
  git('add', '.');
  git(
    '-c',
    'user.name=Gantry Test',
    '-c',
    'user.email=test@gantry.invalid',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'fixture',
  );
  const bare = join(root, 'repo.git');
  execFileSync('git', ['clone', '-q', '--bare', work, bare]);
  return { bare, commit: git('rev-parse', 'HEAD') };
}

interface Harness {
  readonly codebuild: LocalCodeBuild;
  readonly store: S3Store;
  readonly client: CodeBuildClient;
  readonly s3: S3Client;
  readonly dataDir: string;
  close(): Promise<void>;
}

async function harness(options: Partial<CodeBuildOptions> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-codebuild-'));
  const store = new S3Store({ buckets: [BUCKET], dataDir: join(dataDir, 's3') });
  const codebuild = new LocalCodeBuild({
    projects: [PROJECT],
    dataDir: join(dataDir, 'codebuild'),
    region: 'eu-west-1',
    accountId: ACCOUNT,
    s3: store,
    secrets: async (id) => {
      const value = SECRETS[id];
      if (value === undefined) throw new Error(`no secret ${id}`);
      return value;
    },
    killGraceMs: 500,
    ...options,
  });
  const edge: RunningEdge = await startEdge({ port: 0, services: [codebuild] });
  const s3Endpoint = createS3Endpoint(store);
  const s3Server: Server = createServer(
    (req, res) => void s3Endpoint.handle(req, res, new URL(req.url ?? '/', 'http://s3')),
  );
  await new Promise<void>((resolve) => s3Server.listen(0, '127.0.0.1', resolve));
  const client = new CodeBuildClient(localClientConfig(edge.endpoint));
  const s3 = new S3Client(localClientConfig(`http://127.0.0.1:${(s3Server.address() as AddressInfo).port}`));
  return {
    codebuild,
    store,
    client,
    s3,
    dataDir,
    async close() {
      await codebuild.close();
      client.destroy();
      s3.destroy();
      await edge.close();
      await new Promise<void>((resolve) => {
        s3Server.close(() => resolve());
        s3Server.closeAllConnections();
      });
    },
  };
}

/** Polls BatchGetBuilds, as a caller of the real API does, until the build is complete. */
async function completed(client: CodeBuildClient, id: string): Promise<Build> {
  for (;;) {
    const { builds } = await client.send(new BatchGetBuildsCommand({ ids: [id] }));
    const build = builds?.[0];
    if (build?.buildComplete) return build;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function buildspec(text: string): string {
  return text.replace(/^ {6}/gm, '');
}

const phasesOf = (build: Build) => build.phases?.map((p) => [p.phaseType, p.phaseStatus]);
const phase = (build: Build, type: string) => build.phases?.find((p) => p.phaseType === type);

describe('the local CodeBuild emulator', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => h.close());

  async function run(files: Record<string, string>, input: Partial<StartBuildCommandInput> = {}) {
    const repo = gitRepo(files);
    const { build } = await h.client.send(
      new StartBuildCommand({
        projectName: PROJECT.name,
        sourceTypeOverride: 'GITHUB',
        sourceLocationOverride: repo.bare,
        sourceVersion: repo.commit,
        ...input,
      }),
    );
    return { started: build ?? {}, done: await completed(h.client, build?.id ?? ''), repo };
  }

  const log = (build: Build) => h.codebuild.buildLog(build.id ?? '').then((lines) => lines.join('\n'));

  describe('a build', () => {
    it('checks out the branch a version names, not a tag of the same name; a commit id is that commit', async () => {
      const repo = gitRepo({
        'buildspec.yml': buildspec('version: 0.2\nphases:\n  build:\n    commands:\n      - true'),
      });
      const bareGit = (...args: string[]) =>
        execFileSync('git', ['-C', repo.bare, ...args])
          .toString()
          .trim();
      const other = bareGit(
        '-c',
        'user.name=Mallory',
        '-c',
        'user.email=m@example.com',
        'commit-tree',
        `${repo.commit}^{tree}`,
        '-p',
        repo.commit,
        '-m',
        'tagged like the branch',
      );
      bareGit('update-ref', 'refs/heads/develop', repo.commit);
      bareGit('tag', 'develop', other);
      bareGit('update-ref', `refs/heads/${other}`, repo.commit);
      for (const [sourceVersion, expected] of [
        ['develop', repo.commit],
        [other, other],
      ]) {
        const { build } = await h.client.send(
          new StartBuildCommand({
            projectName: PROJECT.name,
            sourceTypeOverride: 'GITHUB',
            sourceLocationOverride: repo.bare,
            sourceVersion,
          }),
        );
        const done = await completed(h.client, build?.id ?? '');
        expect({ sourceVersion, resolved: done.resolvedSourceVersion }).toEqual({ sourceVersion, resolved: expected });
      }
    });

    it("starts IN_PROGRESS with CodeBuild's shape, then passes every phase in order", async () => {
      const { started, done, repo } = await run({
        'buildspec.yml': buildspec(`version: 0.2
      phases:
        build:
          commands:
            - echo building $CODEBUILD_RESOLVED_SOURCE_VERSION`),
      });
      expect(started).toMatchObject({ buildStatus: 'IN_PROGRESS', projectName: PROJECT.name, buildNumber: 1 });
      expect(started.id).toMatch(new RegExp(`^${PROJECT.name}:[0-9a-f-]{36}$`));
      expect(started.arn).toBe(`arn:aws:codebuild:eu-west-1:${ACCOUNT}:build/${started.id}`);
      expect(started.startTime).toBeInstanceOf(Date);
      expect(started.logs).toMatchObject({ groupName: `/aws/codebuild/${PROJECT.name}` });
      expect(started.artifacts?.location).toBe(`arn:aws:s3:::${BUCKET}/builds/${PROJECT.name}`);
      expect(phasesOf(done)).toEqual([
        ['SUBMITTED', 'SUCCEEDED'],
        ['QUEUED', 'SUCCEEDED'],
        ['PROVISIONING', 'SUCCEEDED'],
        ['DOWNLOAD_SOURCE', 'SUCCEEDED'],
        ['INSTALL', 'SUCCEEDED'],
        ['PRE_BUILD', 'SUCCEEDED'],
        ['BUILD', 'SUCCEEDED'],
        ['POST_BUILD', 'SUCCEEDED'],
        ['UPLOAD_ARTIFACTS', 'SUCCEEDED'],
        ['FINALIZING', 'SUCCEEDED'],
        ['COMPLETED', undefined],
      ]);
      expect(done).toMatchObject({
        buildStatus: 'SUCCEEDED',
        currentPhase: 'COMPLETED',
        resolvedSourceVersion: repo.commit,
      });
      expect(phase(done, 'BUILD')?.durationInSeconds).toBeGreaterThanOrEqual(0);
      expect(await log(done)).toContain(`building ${repo.commit}`);
    });

    it('stops a phase at its first failing command, still runs finally, then POST_BUILD and UPLOAD_ARTIFACTS', async () => {
      const { done } = await run({
        'buildspec.yml': buildspec(`version: 0.2
      phases:
        build:
          commands:
            - echo first
            - exit 3
            - echo never
          finally:
            - echo cleanup
        post_build:
          commands:
            - echo "post_build sees CODEBUILD_BUILD_SUCCEEDING=$CODEBUILD_BUILD_SUCCEEDING"`),
      });
      expect(done.buildStatus).toBe('FAILED');
      expect(phasesOf(done)?.slice(6, 9)).toEqual([
        ['BUILD', 'FAILED'],
        ['POST_BUILD', 'SUCCEEDED'],
        ['UPLOAD_ARTIFACTS', 'SUCCEEDED'],
      ]);
      expect(phase(done, 'BUILD')?.contexts).toEqual([
        {
          statusCode: 'COMMAND_EXECUTION_ERROR',
          message: 'Error while executing command: exit 3. Reason: exit status 3',
        },
      ]);
      const text = await log(done);
      expect(text).toContain('cleanup');
      expect(text).not.toMatch(/^never$/m);
      expect(text).toContain('post_build sees CODEBUILD_BUILD_SUCCEEDING=0');
    });

    it.each(['install', 'pre_build'])('goes from a failed %s straight to FINALIZING', async (name) => {
      const { done } = await run({
        'buildspec.yml': buildspec(`version: 0.2
      phases:
        ${name}:
          commands:
            - "false"
        build:
          commands:
            - echo never built`),
      });
      const failed = name === 'install' ? 'INSTALL' : 'PRE_BUILD';
      expect(phasesOf(done)?.slice(4)).toEqual([
        ...(name === 'pre_build' ? [['INSTALL', 'SUCCEEDED']] : []),
        [failed, 'FAILED'],
        ['FINALIZING', 'SUCCEEDED'],
        ['COMPLETED', undefined],
      ]);
      expect(done.buildStatus).toBe('FAILED');
    });

    it('goes on past a failed INSTALL with on-failure CONTINUE, and the build still fails', async () => {
      const { done } = await run({
        'buildspec.yml': buildspec(`version: 0.2
      phases:
        install:
          on-failure: CONTINUE
          commands:
            - "false"
        build:
          commands:
            - echo "built anyway, succeeding=$CODEBUILD_BUILD_SUCCEEDING"`),
      });
      expect(phasesOf(done)?.slice(4, 7)).toEqual([
        ['INSTALL', 'FAILED'],
        ['PRE_BUILD', 'SUCCEEDED'],
        ['BUILD', 'SUCCEEDED'],
      ]);
      expect(done.buildStatus).toBe('FAILED');
      expect(await log(done)).toContain('built anyway, succeeding=0');
    });

    it('keeps one shell session: variables, functions and the working directory carry across commands and phases', async () => {
      const { done } = await run({
        'sub/file.txt': 'x',
        'buildspec.yml': buildspec(`version: 0.2
      phases:
        install:
          commands:
            - LOCAL_ONLY=shell-variable
            - export EXPORTED=env-variable; export GONE=soon
            - greet() { echo "hello $1"; }
            - cd sub
            - unset GONE
        build:
          commands:
            - echo "$LOCAL_ONLY $EXPORTED [\${GONE-unset}] $(basename "$PWD")"
            - greet session`),
      });
      expect(done.buildStatus).toBe('SUCCEEDED');
      const text = await log(done);
      expect(text).toContain('shell-variable env-variable [unset] sub');
      expect(text).toContain('hello session');
    });
  });

  describe('environment', () => {
    it('applies CodeBuild precedence (override over project over buildspec) and exports variables', async () => {
      const { done } = await run(
        {
          'buildspec.yml': buildspec(`version: 0.2
      env:
        variables:
          STAGE: buildspec
          FROM_SPEC: spec-value
          CODEBUILD_BUILD_ID: spoofed
        exported-variables:
          - ARTIFACT_VERSION
          - NEVER_SET
      phases:
        build:
          commands:
            - echo "stage=$STAGE spec=$FROM_SPEC override=$OVERRIDDEN id=$CODEBUILD_BUILD_ID"
            - export ARTIFACT_VERSION="1.2.$CODEBUILD_BUILD_NUMBER"`),
        },
        { environmentVariablesOverride: [{ name: 'OVERRIDDEN', value: 'from-start-build', type: 'PLAINTEXT' }] },
      );
      expect(await log(done)).toContain(`stage=project spec=spec-value override=from-start-build id=${done.id}`);
      expect(done.exportedEnvironmentVariables).toEqual([{ name: 'ARTIFACT_VERSION', value: '1.2.1' }]);
    });

    it('starts from a scrubbed environment: no variable of the runtime leaks in', async () => {
      process.env.GANTRY_PARENT_ONLY = 'parent-secret-value';
      process.env.AWS_SECRET_ACCESS_KEY = 'parent-aws-secret';
      try {
        const { done } = await run({
          'buildspec.yml': buildspec(`version: 0.2
      phases:
        build:
          commands:
            - env | sort`),
        });
        const text = await log(done);
        expect(text).not.toContain('parent-secret-value');
        expect(text).not.toContain('AWS_SECRET_ACCESS_KEY');
        expect(text).toContain('GANTRY_LOCAL_BUILD=1');
        expect(text).toContain(`CODEBUILD_SRC_DIR=${join(h.dataDir, 'codebuild', 'builds', done.id ?? '', 'src')}`);
        expect(text).toMatch(new RegExp(`^HOME=${join(h.dataDir, 'codebuild', 'builds')}`, 'm'));
        for (const name of [
          'CODEBUILD_BUILD_NUMBER=1',
          'CODEBUILD_INITIATOR=gantry-local',
          'CODEBUILD_BUILD_SUCCEEDING=1',
        ]) {
          expect(text).toContain(name);
        }
      } finally {
        delete process.env.GANTRY_PARENT_ONLY;
        delete process.env.AWS_SECRET_ACCESS_KEY;
      }
    });

    it('resolves secrets and masks their values in the log', async () => {
      const { done } = await run(
        {
          'buildspec.yml': buildspec(`version: 0.2
      env:
        secrets-manager:
          DEPLOY_PASSWORD: gantry/deploy:password
        exported-variables:
          - DEPLOY_PASSWORD
      phases:
        build:
          commands:
            - echo "token=$NPM_TOKEN password=$DEPLOY_PASSWORD"
            - printf '%s\\n' "$NPM_TOKEN" | rev | rev`),
        },
        { environmentVariablesOverride: [{ name: 'NPM_TOKEN', value: 'gantry/npm-token', type: 'SECRETS_MANAGER' }] },
      );
      expect(done.buildStatus).toBe('SUCCEEDED');
      const file = readFileSync(join(h.dataDir, 'codebuild', 'builds', done.id ?? '', 'build.log'), 'utf8');
      expect(file).toContain('token=*** password=***');
      expect(file).not.toContain('npm-s3cr3t-t0ken');
      expect(file).not.toContain('hunter2-deploy-pw');
      expect(done.exportedEnvironmentVariables).toEqual([{ name: 'DEPLOY_PASSWORD', value: '***' }]);
    });

    it('fails PROVISIONING when a secret cannot be resolved, naming the variable but not leaking anything', async () => {
      const { done } = await run(
        { 'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo never\n' },
        { environmentVariablesOverride: [{ name: 'MISSING', value: 'gantry/absent', type: 'SECRETS_MANAGER' }] },
      );
      expect(phase(done, 'PROVISIONING')).toMatchObject({
        phaseStatus: 'FAILED',
        contexts: [{ statusCode: 'CLIENT_ERROR', message: expect.stringContaining('MISSING') }],
      });
      expect(done.buildStatus).toBe('FAILED');
    });

    it('refuses Parameter Store variables, which local mode cannot resolve', async () => {
      const { done } = await run(
        { 'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo never\n' },
        { environmentVariablesOverride: [{ name: 'P', value: '/gantry/param', type: 'PARAMETER_STORE' }] },
      );
      expect(phase(done, 'PROVISIONING')?.contexts?.[0]?.message).toContain('Parameter Store');
    });
  });

  describe('artifacts and reports', () => {
    const files = {
      'src/app.js': 'console.log(1)',
      'dist/app.js': 'bundled',
      'dist/lib/util.js': 'util',
      'dist/app.js.map': 'map',
      'reports/junit.xml': '<testsuites tests="1"/>',
      'coverage/cobertura-coverage.xml': '<coverage line-rate="0.9"/>',
    };

    it('uploads the selected files and copies report files under reports/<group>/ in the artifacts location', async () => {
      const { done } = await run({
        ...files,
        'buildspec.yml': buildspec(`version: 0.2
      phases:
        build:
          commands:
            - echo built
      artifacts:
        base-directory: dist
        files:
          - '**/*'
        exclude-paths:
          - '**/*.map'
      reports:
        ${PROJECT.reportGroups?.[0]?.arn}:
          files:
            - 'reports/*.xml'
          file-format: JUNITXML
          discard-paths: yes
        coverage:
          files:
            - coverage/cobertura-coverage.xml
          file-format: COBERTURAXML
        empty:
          files:
            - 'nothing/**/*'`),
      });
      expect(done.buildStatus).toBe('SUCCEEDED');
      const prefix = `builds/${PROJECT.name}`;
      const listed = await h.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual([
        `${prefix}/app.js`,
        `${prefix}/lib/util.js`,
        `${prefix}/reports/service-build-coverage/coverage/cobertura-coverage.xml`,
        `${prefix}/reports/service-build-junit/junit.xml`,
      ]);
      const junit = await h.s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/reports/service-build-junit/junit.xml` }),
      );
      expect(await junit.Body?.transformToString()).toBe('<testsuites tests="1"/>');
      expect(done.reportArns).toEqual([
        `arn:aws:codebuild:eu-west-1:${ACCOUNT}:report/service-build-junit:${done.id?.split(':')[1]}`,
        `arn:aws:codebuild:eu-west-1:${ACCOUNT}:report/service-build-coverage:${done.id?.split(':')[1]}`,
      ]);
      expect(h.codebuild.buildReports(done.id ?? '').map((r) => [r.reportGroupName, r.type, r.fileFormat])).toEqual([
        ['service-build-junit', 'TEST', 'JUNITXML'],
        ['service-build-coverage', 'CODE_COVERAGE', 'COBERTURAXML'],
      ]);
      expect(await log(done)).toContain('Report group service-build-empty: no files match');
    });

    it('packages a ZIP with the build id in the key when the project asks for it', async () => {
      const { done } = await run(
        {
          ...files,
          'buildspec.yml': buildspec(`version: 0.2
      artifacts:
        files:
          - 'dist/**/*'
        discard-paths: yes
        name: bundle.zip`),
        },
        {
          artifactsOverride: {
            type: 'S3',
            location: BUCKET,
            packaging: 'ZIP',
            namespaceType: 'BUILD_ID',
            overrideArtifactName: true,
          },
        },
      );
      const key = `${done.id?.split(':')[1]}/bundle.zip`;
      expect(done.artifacts?.location).toBe(`arn:aws:s3:::${BUCKET}/${key}`);
      const object = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const zipFile = join(h.dataDir, 'downloaded.zip');
      writeFileSync(zipFile, (await object.Body?.transformToByteArray()) ?? new Uint8Array());
      expect(execFileSync('unzip', ['-Z1', zipFile]).toString().trim().split('\n').sort()).toEqual([
        'app.js',
        'app.js.map',
        'util.js',
      ]);
      expect(execFileSync('unzip', ['-p', zipFile, 'util.js']).toString()).toBe('util');
    });

    it('fails UPLOAD_ARTIFACTS when no file matches, as CodeBuild does', async () => {
      const { done } = await run({
        'buildspec.yml': buildspec(`version: 0.2
      artifacts:
        files:
          - 'out/**/*'`),
      });
      expect(phase(done, 'UPLOAD_ARTIFACTS')).toMatchObject({
        phaseStatus: 'FAILED',
        contexts: [{ statusCode: 'CLIENT_ERROR', message: 'no matching artifact paths found' }],
      });
    });
  });

  describe('buildspecs', () => {
    it('runs an inline buildspecOverride', async () => {
      const { done } = await run(
        {},
        { buildspecOverride: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo inline\n' },
      );
      expect(done.buildStatus).toBe('SUCCEEDED');
      expect(await log(done)).toMatch(/^inline$/m);
    });

    it.each([
      ['not YAML', 'version: 0.2\nphases: [unclosed'],
      ['an unknown key', 'version: 0.2\nphases:\n  compile:\n    commands: [make]\n'],
      ['version 0.1', 'version: 0.1\nphases:\n  build:\n    commands: [make]\n'],
      ['run-as', 'version: 0.2\nrun-as: root\n'],
      ['a retrying phase', 'version: 0.2\nphases:\n  build:\n    on-failure: RETRY-2\n    commands: [make]\n'],
    ])('fails DOWNLOAD_SOURCE with YAML_FILE_ERROR for %s', async (_name, text) => {
      const { done } = await run({ 'buildspec.yml': text });
      expect(phase(done, 'DOWNLOAD_SOURCE')).toMatchObject({
        phaseStatus: 'FAILED',
        contexts: [{ statusCode: 'YAML_FILE_ERROR' }],
      });
    });

    it('runs a buildspec named by an S3 ARN, from the local S3 store', async () => {
      await h.store.putObject(
        BUCKET,
        'specs/buildspec.yml',
        'version: 0.2\nphases:\n  build:\n    commands:\n      - echo from s3\n',
      );
      const { done } = await run({}, { buildspecOverride: `arn:aws:s3:::${BUCKET}/specs/buildspec.yml` });
      expect(done.buildStatus).toBe('SUCCEEDED');
      expect(await log(done)).toMatch(/^from s3$/m);
    });

    it('runs /bin/sh buildspecs in a POSIX shell that still keeps the session', async () => {
      const { done } = await run({
        'buildspec.yml': buildspec(`version: 0.2
      env:
        shell: /bin/sh
      phases:
        build:
          commands:
            - X=kept
            - echo "options=$SHELLOPTS x=$X"`),
      });
      expect(await log(done)).toMatch(/^options=\S*posix\S* x=kept$/m);
    });

    it('fails DOWNLOAD_SOURCE when the repository has no buildspec', async () => {
      const { done } = await run({ 'README.md': 'no buildspec here' });
      expect(phase(done, 'DOWNLOAD_SOURCE')?.contexts?.[0]?.message).toMatch(/buildspec\.yml: no such file/);
    });
  });

  describe('the API', () => {
    it('refuses what CodeBuild would refuse, and what local mode cannot honour', async () => {
      const start = (input: Partial<StartBuildCommandInput>) =>
        h.client.send(new StartBuildCommand({ projectName: PROJECT.name, ...input })).catch((e: Error) => e.name);
      expect(await start({ projectName: 'absent' })).toBe('ResourceNotFoundException');
      expect(await start({ timeoutInMinutesOverride: 1 })).toBe('InvalidInputException');
      expect(await start({ imageOverride: 'aws/codebuild/standard:7.0' })).toBe('InvalidInputException');
      expect(await start({ sourceTypeOverride: 'CODEPIPELINE', sourceLocationOverride: 'bucket/src.zip' })).toBe(
        'InvalidInputException',
      );
      const unknown = await h.client.send(new DeleteProjectCommand({ name: PROJECT.name })).catch((e: Error) => e.name);
      expect(unknown).toBe('UnknownOperationException');
    });

    it("lists a project's builds newest first, finds builds and projects, and says which it did not find", async () => {
      const first = await run({}, { buildspecOverride: 'version: 0.2\n' });
      const second = await run({}, { buildspecOverride: 'version: 0.2\n' });
      expect(second.done.buildNumber).toBe(2);
      const { ids } = await h.client.send(new ListBuildsForProjectCommand({ projectName: PROJECT.name }));
      expect(ids).toEqual([second.done.id, first.done.id]);
      const ascending = await h.client.send(
        new ListBuildsForProjectCommand({ projectName: PROJECT.name, sortOrder: 'ASCENDING' }),
      );
      expect(ascending.ids).toEqual([first.done.id, second.done.id]);
      const got = await h.client.send(
        new BatchGetBuildsCommand({ ids: [first.done.id ?? '', 'service-build:absent'] }),
      );
      expect(got.builds?.map((b) => b.id)).toEqual([first.done.id]);
      expect(got.buildsNotFound).toEqual(['service-build:absent']);
      const projects = await h.client.send(new BatchGetProjectsCommand({ names: [PROJECT.name, 'absent'] }));
      expect(projects.projects?.[0]).toMatchObject({ name: PROJECT.name, arn: PROJECT.arn, timeoutInMinutes: 10 });
      expect(projects.projectsNotFound).toEqual(['absent']);
    });
  });

  it('refuses a build started once close() has begun, rather than leaving its processes behind', async () => {
    const repo = gitRepo({ 'a.txt': 'a' });
    await h.codebuild.close();
    expect(() =>
      h.codebuild.startBuild({
        projectName: PROJECT.name,
        sourceLocationOverride: repo.bare,
        sourceTypeOverride: 'GITHUB',
      }),
    ).toThrow(expect.objectContaining({ code: 'ServiceUnavailable', status: 503 }));
    const ids = (await h.codebuild.handle('ListBuildsForProject', { projectName: PROJECT.name })) as { ids: string[] };
    expect(ids.ids).toEqual([]);
  });

  describe('startBuildSync (Step Functions .sync)', () => {
    const params = (repo: { bare: string; commit: string }, buildspecText: string) => ({
      ProjectName: PROJECT.name,
      SourceTypeOverride: 'GITHUB',
      SourceLocationOverride: repo.bare,
      SourceVersion: repo.commit,
      BuildspecOverride: buildspecText,
      EnvironmentVariablesOverride: [{ Name: 'FROM_STATES', Value: 'yes', Type: 'PLAINTEXT' }],
    });

    it("resolves with { Build } in Step Functions' shape once the build succeeds", async () => {
      const repo = gitRepo({ 'a.txt': 'a' });
      const result = await h.codebuild.startBuildSync(
        params(repo, 'version: 0.2\nphases:\n  build:\n    commands:\n      - test "$FROM_STATES" = yes\n'),
        new AbortController().signal,
      );
      expect(result.Build).toMatchObject({
        BuildStatus: 'SUCCEEDED',
        ProjectName: PROJECT.name,
        ResolvedSourceVersion: repo.commit,
        Initiator: 'states/local-stepfunctions',
        BuildComplete: true,
      });
      const started = result.Build.StartTime as number;
      expect(started).toBeGreaterThan(Date.now() - 60_000);
      expect((result.Build.Phases as { PhaseType: string }[])[0]?.PhaseType).toBe('SUBMITTED');
    });

    it('rejects with States.TaskFailed and the build as the cause when the build fails', async () => {
      const repo = gitRepo({ 'a.txt': 'a' });
      const failure = await h.codebuild
        .startBuildSync(
          params(repo, 'version: 0.2\nphases:\n  build:\n    commands:\n      - "false"\n'),
          new AbortController().signal,
        )
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(BuildSyncError);
      expect(failure).toMatchObject({ name: 'States.TaskFailed', buildStatus: 'FAILED' });
      expect(JSON.parse((failure as BuildSyncError).causeText)).toMatchObject({ Build: { BuildStatus: 'FAILED' } });
    });

    it('rejects with CodeBuild.<exception> when StartBuild is refused', async () => {
      const failure = await h.codebuild
        .startBuildSync({ ProjectName: 'absent' }, new AbortController().signal)
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ name: 'CodeBuild.ResourceNotFoundException' });
    });

    it('stops the build when the execution is aborted', async () => {
      const repo = gitRepo({ 'a.txt': 'a' });
      const abort = new AbortController();
      const pending = h.codebuild.startBuildSync(
        params(repo, 'version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n'),
        abort.signal,
      );
      const id = await waitForPhase(h.codebuild, 'BUILD');
      abort.abort(new Error('execution aborted'));
      await expect(pending).rejects.toThrow('execution aborted');
      expect(h.codebuild.getBuild(id)).toMatchObject({ buildStatus: 'STOPPED', currentPhase: 'COMPLETED' });
    });
  });
});

/** The id of the one build the emulator is running, once it has entered `phaseType`. */
async function waitForPhase(codebuild: LocalCodeBuild, phaseType: string): Promise<string> {
  for (;;) {
    const ids = ((await codebuild.handle('ListBuildsForProject', { projectName: PROJECT.name })) as { ids: string[] })
      .ids;
    const id = ids[0];
    if (id !== undefined && codebuild.getBuild(id).currentPhase === phaseType) return id;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
