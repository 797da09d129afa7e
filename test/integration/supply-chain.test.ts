import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, CodeBuildClient, ListBuildsForProjectCommand } from '@aws-sdk/client-codebuild';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { git } from '../../cli/local/sample-repo';
import { seedSecretsFile } from '../../local/secretsmanager/store';
import type { RunRecord } from '../../shared/runs/model';
import { gantry, ROOT } from '../support/cli';
import {
  actingAs,
  commitOnBranch,
  edgeClientConfig,
  eventually,
  finishedRun,
  openPullRequest,
  operatorHeaders,
  startTestPlane,
  type TestPlane,
} from '../support/local';
import { sourceEvent } from '../support/plans';

/**
 * The README's provenance recipe with standard tools (jq, base64, openssl), run as a user would
 * (`set -euo pipefail`) in a scratch folder holding copies of `files` (name there → path here).
 */
function readmeRecipe(files: Record<string, string>): { status: number; stdout: string } {
  const recipe = /```sh\n(jq -r \.payload envelope\.json[\s\S]*?)```/.exec(
    readFileSync(join(ROOT, 'README.md'), 'utf8'),
  )?.[1];
  if (recipe === undefined) throw new Error('the README has no standard-tools recipe');
  const scratch = mkdtempSync(join(tmpdir(), 'gantry-dsse-'));
  for (const [name, path] of Object.entries(files)) copyFileSync(path, join(scratch, name));
  try {
    const stdout = execFileSync('bash', ['-c', `set -euo pipefail\n${recipe}`], {
      cwd: scratch,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { status: 0, stdout };
  } catch (error) {
    return error as { status: number; stdout: string };
  }
}

/** The build secret the release project is given, and that nothing untrusted may see. */
const SECRET_VARIABLE = 'PUBLISH_TOKEN';
/** A build secret no template declares: the release project's role is granted it by name (`-??????`). */
const OWN_SECRET_VARIABLE = 'NPM_TOKEN';
const OWN_SECRET = 'ci/npm-token';

/**
 * Only reviewed, gated bytes reach production, played by the parties who would try otherwise:
 * a pull request's author, and anyone with write access to the artifacts bucket.
 */
describe('the supply chain, end to end through local mode', () => {
  let t: TestPlane;
  let s3: S3Client;
  beforeAll(async () => {
    // A secret of the team's own, which no template declares, as the README's ci/npm-token.
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-it-'));
    seedSecretsFile(join(dataDir, 'secrets.json'), { [OWN_SECRET]: 'npm-token-for-releases' });
    t = await startTestPlane(dataDir, {
      configure: (config) => ({
        ...config,
        pipelines: config.pipelines.map((p) => ({
          ...p,
          build: {
            ...p.build,
            secrets: {
              [SECRET_VARIABLE]: 'gantry/connections/github-demo/api-token:apiToken',
              [OWN_SECRET_VARIABLE]: OWN_SECRET,
            },
          },
        })),
      }),
    });
    s3 = new S3Client({ ...edgeClientConfig(t.plane), forcePathStyle: true });
  }, 60_000);
  afterAll(() => t?.close());

  const buildLog = async (run: RunRecord): Promise<string> => {
    const logs = new CloudWatchLogsClient(edgeClientConfig(t.plane));
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: run.build?.logGroup ?? '',
        logStreamName: run.build?.logStream ?? '',
        startFromHead: true,
      }),
    );
    return (out.events ?? []).map((e) => e.message).join('\n');
  };
  const service = async (fn: string) => {
    const res = await fetch(new URL('/_gantry/services', t.plane.awsEndpoint), { headers: operatorHeaders(t.plane) });
    const found = ((await res.json()) as { services: { functionName: string; url: string }[] }).services.find(
      (s) => s.functionName === fn,
    );
    if (found === undefined) throw new Error(`no service ${fn}`);
    return found;
  };
  const versionServed = async (fn: string) =>
    ((await (await fetch(new URL('/version', (await service(fn)).url))).json()) as { version: string }).version;

  /** A release branch off develop with a code change, whose build says whether it can see the secret. */
  const releaseBranch = (name: string) => {
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', name, 'develop');
    const file = join(repo, 'src', 'greeting.js');
    writeFileSync(file, `${readFileSync(file, 'utf8')}// ${name}\n`);
    const buildspec = join(repo, 'buildspec.yml');
    writeFileSync(
      buildspec,
      readFileSync(buildspec, 'utf8').replace(
        '      - node --version\n',
        `      - node --version\n      - 'echo "secret length: \${#${SECRET_VARIABLE}}"'\n      - 'echo "own secret length: \${#${OWN_SECRET_VARIABLE}}"'\n`,
      ),
    );
    git(repo, 'commit', '--quiet', '-am', `Release ${name}`);
    git(repo, 'checkout', '--quiet', 'develop');
  };
  const waitingForApproval = (commit: string) =>
    eventually(
      'the release to wait for its approval',
      async () =>
        (await t.runs.list({ pipeline: 'sample-service' })).find(
          (r) => r.commit === commit && r.stages.approval?.status === 'waiting',
        ),
      60_000,
    );
  const approve = (run: RunRecord) =>
    gantry('runs', 'approve', run.runId.slice(0, 12), '--as', 'bob', '--reason', 'reviewed', '--data-dir', t.dataDir);
  const zipOf = (run: RunRecord) => {
    const subject = run.provenance?.subjects.find((s) => s.name === 'dist/function.zip');
    if (!run.provenance || !subject) throw new Error(`run ${run.runId} attests no dist/function.zip`);
    const prefix = run.build?.artifacts?.replace(/^arn:aws:s3:::[^/]+\//, '') ?? '';
    return { bucket: run.provenance.bucket, key: `${prefix}/dist/function.zip`, subject };
  };

  it("gives a pull request's build neither the build secret nor a way to the release's artifacts; the release ships its own bytes", async () => {
    releaseBranch('release/9.0');
    const release = await waitingForApproval((await t.push({ branch: 'release/9.0' })).push.after);
    expect(release.plan.build).toMatchObject({ trust: 'trusted', projectName: 'gantry-sample-service-gated' });
    expect(await buildLog(release)).toMatch(/\nsecret length: [1-9]\d*/);
    // Resolved as the release project's role, through local IAM: the secrets build.secrets grants it.
    expect(await buildLog(release)).toContain(`own secret length: ${'npm-token-for-releases'.length}`);
    const { bucket, key, subject } = zipOf(release);

    // Mallory's pull request replaces the buildspec with one that hunts for the secret and the artifacts.
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', 'feature/evil', 'develop');
    writeFileSync(
      join(repo, 'buildspec.yml'),
      [
        'version: 0.2',
        'phases:',
        '  build:',
        '    commands:',
        `      - 'echo "secret: [\${${SECRET_VARIABLE}:-none}]"'`,
        '      - node hostile.mjs',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(repo, 'hostile.mjs'),
      [
        `const bucket = '${bucket}';`,
        `const key = '${key}';`,
        'const endpoint = process.env.AWS_ENDPOINT_URL;',
        "if (!endpoint || !process.env.AWS_ACCESS_KEY_ID) { console.log('aws: no endpoint or credentials'); process.exit(0); }",
        "const secret = await fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ SecretId: 'gantry/connections/github-demo' }) });",
        "console.log('secret read:', secret.status);",
        "const put = await fetch(endpoint + '/' + bucket + '/' + key, { method: 'PUT', body: 'malicious package' });",
        "console.log('overwrite:', put.status);",
        '',
      ].join('\n'),
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'Innocent refactor');
    git(repo, 'checkout', '--quiet', 'develop');
    const pr = await openPullRequest(t, { branch: 'feature/evil', target: 'develop', number: 66 });
    expect(pr.status).toBe(202);
    const validation = await finishedRun(t, pr.headSha);
    expect(validation.plan.build).toMatchObject({ trust: 'untrusted', projectName: 'gantry-sample-service-untrusted' });
    expect(validation.build?.artifacts).toMatch(/\/untrusted\/sample-service\//);
    const log = await buildLog(validation);
    expect(log).toContain('secret: [none]');
    expect(log).toContain('aws: no endpoint or credentials');
    expect(log).not.toMatch(/overwrite: 2\d\d/);

    // The release's artifact is untouched, and what ships is exactly what was attested.
    const current = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(current.VersionId).toBe(subject.versionId);
    expect((await approve(release)).code).toBe(0);
    const shipped = await finishedRun(t, release.commit);
    expect(shipped).toMatchObject({ status: 'SUCCEEDED', deployment: { status: 'succeeded' } });
    const lambda = new LambdaClient(edgeClientConfig(t.plane));
    const config = await lambda.send(
      new GetFunctionConfigurationCommand({
        FunctionName: 'gantry-sample-service-prod',
        Qualifier: shipped.deployment?.toVersion,
      }),
    );
    expect(config.CodeSha256).toBe(Buffer.from(subject.sha256, 'hex').toString('base64'));
  }, 180_000);

  it("gives a pull request's buildspec no secret it names: CodeBuild asks as the project's role, which may read none", async () => {
    const repo = t.repo();
    commitOnBranch(
      repo,
      'feature/greedy',
      'mallory',
      {
        'buildspec.yml': [
          'version: 0.2',
          'env:',
          '  secrets-manager:',
          '    STOLEN: gantry/connections/github-demo/api-token:apiToken',
          'phases:',
          '  build:',
          '    commands:',
          `      - 'echo "stolen: [$(echo "$STOLEN" | rev)]"'`,
          '',
        ].join('\n'),
      },
      'Tidy the build',
    );
    git(repo, 'checkout', '--quiet', 'develop');
    const pr = await openPullRequest(t, { branch: 'feature/greedy', target: 'develop', number: 67 });
    expect(pr.status).toBe(202);
    const validation = await finishedRun(t, pr.headSha);
    expect(validation).toMatchObject({ status: 'FAILED', stages: { build: { status: 'failed' } } });
    // The build, as CodeBuild reports it: failed where it resolves its variables, saying why.
    const codebuild = new CodeBuildClient(edgeClientConfig(t.plane));
    const ids = (
      await codebuild.send(new ListBuildsForProjectCommand({ projectName: 'gantry-sample-service-untrusted' }))
    ).ids;
    const builds = (await codebuild.send(new BatchGetBuildsCommand({ ids }))).builds ?? [];
    codebuild.destroy();
    const build = builds.find((b) =>
      b.environment?.environmentVariables?.some((v) => v.name === 'GANTRY_COMMIT' && v.value === pr.headSha),
    );
    expect(build?.buildStatus).toBe('FAILED');
    const said = JSON.stringify(build?.phases?.flatMap((p) => p.contexts ?? []));
    expect(said).toContain('cannot resolve STOLEN from secret gantry/connections/github-demo/api-token');
    expect(said).toMatch(/AccessDenied/);
    const log = await buildLog({
      ...validation,
      build: { logGroup: build?.logs?.groupName, logStream: build?.logs?.streamName },
    } as RunRecord);
    expect(log).not.toContain('stolen: [');
    // The token itself (read as the operator) appears nowhere in the log, not even reversed.
    const sm = new SecretsManagerClient(edgeClientConfig(t.plane));
    const token = JSON.parse(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'gantry/connections/github-demo/api-token' })))
        .SecretString ?? '{}',
    ).apiToken as string;
    sm.destroy();
    expect(token.length).toBeGreaterThan(0);
    expect(log).not.toContain([...token].reverse().join(''));
  }, 120_000);

  it('refuses, before traffic moves, a release whose artifact was replaced in S3 while it waited for approval', async () => {
    const servedBefore = await versionServed('gantry-sample-service-prod');
    releaseBranch('release/9.1');
    const release = await waitingForApproval((await t.push({ branch: 'release/9.1' })).push.after);
    const { bucket, key } = zipOf(release);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'a package nobody reviewed' }));

    expect((await approve(release)).code).toBe(0);
    const refused = await finishedRun(t, release.commit);
    expect(refused).toMatchObject({ status: 'FAILED', failure: { stage: 'deploy' } });
    // The run keeps the first 200 characters of the reason; the ledger, below, all of it.
    expect(refused.failure?.reason).toMatch(/function\.zip was replaced after its provenance/);
    expect(refused.deployment).toBeUndefined();
    expect(await versionServed('gantry-sample-service-prod')).toBe(servedBefore);

    const ledger = await gantry('audit', 'query', '--run', release.runId, '--json', '--data-dir', t.dataDir);
    const records = JSON.parse(ledger.stdout) as { type: string; details: Record<string, unknown> }[];
    expect(records.find((r) => r.type === 'deploy.refused')?.details).toMatchObject({
      check: 'replaced',
      reason: expect.stringContaining(key),
    });
    expect(records.map((r) => r.type)).toContain('build.provenance');
    expect(records.map((r) => r.type)).not.toContain('deploy.started');
  }, 180_000);

  it('keeps a preview build from writing where prod builds write, and attests nothing it planted under its own prefix', async () => {
    // A demo/* push (a preview: no approval) builds in the ungated project, as its role. It may not
    // write where builds for prod write (their own project's prefix); it may write under its own.
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    const bucket = buckets.find((b) => b.Name?.startsWith('gantry-artifacts-'))?.Name;
    if (bucket === undefined) throw new Error('no artifacts bucket');
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', 'demo/plant', 'develop');
    writeFileSync(
      join(repo, 'plant.cjs'),
      [
        `const { S3Client, PutObjectCommand } = require(${JSON.stringify(join(ROOT, 'node_modules', '@aws-sdk', 'client-s3'))});`,
        "const uuid = process.env.CODEBUILD_BUILD_ID.split(':')[1];",
        'const s3 = new S3Client({ forcePathStyle: true });',
        `const put = (key) => s3.send(new PutObjectCommand({ Bucket: '${bucket}', Key: key, Body: '<testsuites/>' })).then(() => 'ok', (e) => e.name);`,
        '(async () => {',
        "  console.log('gated write:', await put('releases/sample-service/gated/' + uuid + '/artifacts/dist/function.zip'));",
        "  console.log('own write:', await put('releases/sample-service/ungated/' + uuid + '/artifacts/reports/extra.xml'));",
        '})();',
        '',
      ].join('\n'),
    );
    const buildspec = join(repo, 'buildspec.yml');
    writeFileSync(
      buildspec,
      readFileSync(buildspec, 'utf8').replace(
        '      - node --version\n',
        // Past the tolerance RecordProvenance gives S3's and CodeBuild's clocks (2 s).
        '      - node --version\n      - node plant.cjs\n      - sleep 3\n',
      ),
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'Preview a change');
    git(repo, 'checkout', '--quiet', 'develop');

    const run = await finishedRun(t, (await t.push({ branch: 'demo/plant' })).push.after);
    expect(run.plan.build).toMatchObject({ trust: 'trusted', projectName: 'gantry-sample-service' });
    // The build, as CodeBuild reports it: it succeeded, planting first, uploading in a phase of its own.
    const codebuild = new CodeBuildClient(edgeClientConfig(t.plane));
    const ids = (await codebuild.send(new ListBuildsForProjectCommand({ projectName: 'gantry-sample-service' }))).ids;
    const build = ((await codebuild.send(new BatchGetBuildsCommand({ ids }))).builds ?? []).find((b) =>
      b.environment?.environmentVariables?.some((v) => v.name === 'GANTRY_COMMIT' && v.value === run.commit),
    );
    codebuild.destroy();
    expect(build?.buildStatus).toBe('SUCCEEDED');
    expect(build?.phases?.find((p) => p.phaseType === 'UPLOAD_ARTIFACTS')).toMatchObject({
      phaseStatus: 'SUCCEEDED',
      startTime: expect.any(Date),
      endTime: expect.any(Date),
    });
    const log = await buildLog({
      ...run,
      build: { logGroup: build?.logs?.groupName, logStream: build?.logs?.streamName },
    } as RunRecord);
    expect(log).toContain('gated write: AccessDenied');
    expect(log).toContain('own write: ok');
    expect(run.failure?.reason).toMatch(/reports\/extra\.xml was written before the upload began/);
    expect(run).toMatchObject({ status: 'FAILED', failure: { stage: 'build' } });
    expect(run.provenance).toBeUndefined();
    expect(run.deployment).toBeUndefined();

    const ledger = await gantry('audit', 'query', '--run', run.runId, '--json', '--data-dir', t.dataDir);
    const records = JSON.parse(ledger.stdout) as { type: string; details: Record<string, unknown> }[];
    expect(records.find((r) => r.type === 'security.forged_input')?.details).toMatchObject({
      step: 'record-provenance',
      reason: expect.stringMatching(/^reports\/extra\.xml was written before the upload began .* \(UPLOAD_ARTIFACTS /),
    });
    expect(records.map((r) => r.type)).not.toContain('build.provenance');
  }, 180_000);

  it("skips a fork's pull request, and says so in the ledger", async () => {
    const repo = t.repo();
    git(repo, 'checkout', '--quiet', '-B', 'fork/feature', 'develop');
    git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'From a fork');
    git(repo, 'checkout', '--quiet', 'develop');
    const pr = await openPullRequest(t, {
      branch: 'fork/feature',
      number: 67,
      fromRepository: 'mallory/sample-service',
    });
    expect(pr.status).toBe(202);
    const skipped = await eventually('the skip to be recorded', async () => {
      const out = await gantry(
        'audit',
        'query',
        '--type',
        'run.skipped',
        '--commit',
        pr.headSha,
        '--json',
        '--data-dir',
        t.dataDir,
      );
      const [record] = JSON.parse(out.stdout || '[]') as { details: { reason: string } }[];
      return record;
    });
    expect(skipped.details.reason).toMatch(/fork mallory\/sample-service: forks are not built/);
    expect((await t.runs.list({ pipeline: 'sample-service' })).map((r) => r.commit)).not.toContain(pr.headSha);
  }, 60_000);

  it('never deploys what an execution started straight through the Step Functions API asks for, and records each attempt', async () => {
    const servedBefore = await versionServed('gantry-sample-service-prod');
    const failed = (await t.runs.list({ pipeline: 'sample-service' })).find(
      (r) => r.status === 'FAILED' && r.environment === 'prod',
    );
    if (failed === undefined) throw new Error('no failed prod run to replay');
    const stateMachineArn = failed.executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
    const forge = async (name: string, input: unknown) => {
      const started = await t.sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      const ended = await eventually(`the forged execution ${name} to end`, async () => {
        const d = await t.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      });
      return { executionArn: started.executionArn ?? '', status: ended.status };
    };
    const security = async (runId: string) =>
      JSON.parse(
        (await gantry('audit', 'query', '--run', runId, '--type', 'security', '--json', '--data-dir', t.dataDir))
          .stdout,
      ) as { type: string; details: { step: string; reason: string; executionArn: string } }[];

    // The failed run's own plan with its approval dropped: no control-plane path sends a plan.
    const plan = await forge('forged-plan', { plan: { ...failed.plan, approval: null } });
    // A rollback pointer to the failed run (it belongs to another execution), and to a run nobody planned.
    const replay = await forge('forged-replay', { rollback: { runId: failed.runId } });
    const fresh = await forge('rollback-forged', { rollback: { runId: 'rollback-forged' } });
    // A made-up push to main of this very repository, built from a clone URL of the forger's choosing.
    const repository = { fullName: failed.repository, cloneUrl: 'https://evil.example/x.git', htmlUrl: null };
    const change = await forge('forged-change', { trigger: 'push', source: sourceEvent({ repository }) });
    for (const outcome of [plan, replay, fresh, change]) expect(outcome.status).toBe('FAILED');
    expect((await security('forged-change'))[0]?.details).toMatchObject({
      step: 'resolve-plan',
      reason: expect.stringMatching(/no verified delivery .* holds event/),
    });
    expect((await t.runs.list({ pipeline: 'sample-service' })).map((r) => r.runId)).not.toContain('forged-change');
    expect(await security('forged-plan')).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ step: 'resolve-plan', executionArn: plan.executionArn }),
      }),
    ]);
    expect((await security(failed.runId)).map((r) => r.details)).toContainEqual(
      expect.objectContaining({
        step: 'rollback',
        executionArn: replay.executionArn,
        reason: expect.stringContaining(`belongs to execution ${failed.executionArn}`),
      }),
    );
    expect((await security('rollback-forged'))[0]?.details.reason).toMatch(/no run rollback-forged was planned/);
    expect(await versionServed('gantry-sample-service-prod')).toBe(servedBefore);
  }, 90_000);

  it('does not count an approval answered straight through SendTaskSuccess: the release is refused, not deployed', async () => {
    const servedBefore = await versionServed('gantry-sample-service-prod');
    releaseBranch('release/9.2');
    const waiting = await waitingForApproval((await t.push({ branch: 'release/9.2' })).push.after);
    // Someone with states:SendTaskSuccess and read access to the runs table answers the approval by hand.
    const token = (await t.runs.get(waiting.runId))?.approval?.taskToken ?? '';
    expect(token).not.toBe('');
    await t.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: ['bob'] }) }));

    const refused = await finishedRun(t, waiting.commit);
    expect(refused).toMatchObject({ status: 'FAILED', failure: { stage: 'deploy' } });
    expect(refused.failure?.reason).toMatch(/requires 1 approval\(s\); run .* has 0 recorded/);
    expect(refused.deployment).toBeUndefined();
    expect(await versionServed('gantry-sample-service-prod')).toBe(servedBefore);
    const ledger = await gantry('audit', 'query', '--run', waiting.runId, '--json', '--data-dir', t.dataDir);
    const types = (JSON.parse(ledger.stdout) as { type: string }[]).map((r) => r.type);
    expect(types).toContain('security.forged_input');
    expect(types).not.toContain('approval.granted');
    expect(types).not.toContain('deploy.started');
  }, 180_000);

  it('does not take a SendTaskFailure(States.Timeout) for an expired approval: Step Functions did not time it out', async () => {
    releaseBranch('release/9.4');
    const waiting = await waitingForApproval((await t.push({ branch: 'release/9.4' })).push.after);
    const token = (await t.runs.get(waiting.runId))?.approval?.taskToken ?? '';
    expect(token).not.toBe('');
    // Days before the deadline, someone with the token makes it look as if the approval ran out.
    await t.sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'States.Timeout', cause: 'Task timed out' }),
    );
    const failed = await finishedRun(t, waiting.commit);
    expect(failed).toMatchObject({ status: 'FAILED', failure: { error: 'Gantry.ForgedInput' } });
    expect(failed.failure?.reason).toContain('Step Functions did not time it out');
    expect(failed.approval?.outcome).toBeUndefined();
    const ledger = await gantry('audit', 'query', '--run', waiting.runId, '--json', '--data-dir', t.dataDir);
    const types = (JSON.parse(ledger.stdout) as { type: string }[]).map((r) => r.type);
    expect(types).toContain('security.forged_input');
    expect(types).not.toContain('approval.expired');
  }, 180_000);

  it("does not pass a pull request's signed provenance off as a release's: by run, offline, and in its dossier", async () => {
    const repo = t.repo();
    commitOnBranch(
      repo,
      'feature/lookalike',
      'mallory',
      { 'src/lookalike.js': 'module.exports = "unreviewed";\n' },
      'Add a look-alike',
    );
    git(repo, 'checkout', '--quiet', 'develop');
    const pr = await openPullRequest(t, { branch: 'feature/lookalike', target: 'develop', number: 68 });
    expect(pr.status).toBe(202);
    const validation = await finishedRun(t, pr.headSha);
    expect(validation.provenance).toBeDefined();
    const byRun = await gantry('provenance', 'verify', validation.runId.slice(0, 12), '--data-dir', t.dataDir);
    expect(byRun).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/✗ trust\s+an untrusted build \(a pull request\)/),
    });
    const asked = await gantry(
      'provenance',
      'verify',
      validation.runId.slice(0, 12),
      '--allow-untrusted',
      '--data-dir',
      t.dataDir,
    );
    expect(asked).toMatchObject({ code: 0, stdout: expect.stringContaining('Provenance verified.') });

    // Offline, as someone downstream checks a package they were handed with the documented command.
    const envelope = join(t.dataDir, 'pr-envelope.json');
    const key$ = join(t.dataDir, 'pr-provenance.pem');
    writeFileSync(
      envelope,
      (await gantry('provenance', 'show', validation.runId, '--envelope', '--data-dir', t.dataDir)).stdout,
    );
    writeFileSync(key$, (await gantry('provenance', 'public-key', '--data-dir', t.dataDir)).stdout);
    const offline = await gantry('provenance', 'verify', '--envelope', envelope, '--public-key', key$);
    expect(offline).toMatchObject({ code: 1, stdout: expect.stringContaining('Provenance NOT verified.') });
    // So does the README's recipe with standard tools: the signature holds, the trust line does not.
    const shell = readmeRecipe({ 'provenance.pem': key$, 'envelope.json': envelope });
    expect(shell.status).toBe(1);
    expect(shell.stdout).toContain('Verified OK');
    expect(shell.stdout).toContain('false');

    // The pull request's own dossier: its build's record verifies, for what it is (it deployed nothing).
    const out = join(t.dataDir, 'pr-evidence');
    expect((await gantry('audit', 'evidence', validation.runId, '--out', out, '--data-dir', t.dataDir)).code).toBe(0);
    const dossier = JSON.parse(readFileSync(join(out, `evidence-${validation.runId}.json`), 'utf8'));
    expect(dossier.provenance).toMatchObject({ verified: true });
  }, 120_000);

  it('prints and verifies a run’s provenance with the CLI, and refuses a file that is not its artifact', async () => {
    const release = (await t.runs.list({ pipeline: 'sample-service' })).find(
      (r) => r.status === 'SUCCEEDED' && r.environment === 'prod',
    );
    if (release === undefined) throw new Error('no released prod run');
    const show = await gantry('provenance', 'show', release.runId.slice(0, 12), '--data-dir', t.dataDir);
    expect(show.stdout).toMatch(
      /builder\s+arn:aws:codebuild:us-east-1:000000000000:project\/gantry-sample-service-gated\n/,
    );
    expect(show.stdout).toMatch(/dist\/function\.zip\s+[0-9a-f]{64}/);
    const verify = await gantry('provenance', 'verify', release.runId.slice(0, 12), '--data-dir', t.dataDir);
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringContaining('Provenance verified.') });

    const { bucket, key } = zipOf(release);
    const zip = join(t.dataDir, 'function.zip');
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: zipOf(release).subject.versionId }),
    );
    writeFileSync(zip, Buffer.from((await object.Body?.transformToByteArray()) ?? []));
    const withArtifact = await gantry(
      'provenance',
      'verify',
      release.runId.slice(0, 12),
      '--artifact',
      zip,
      '--data-dir',
      t.dataDir,
    );
    expect(withArtifact.stdout).toMatch(/✓ artifact\s+function\.zip is dist\/function\.zip/);

    // Offline, with nothing but the exported envelope and the public key.
    const envelope = join(t.dataDir, 'envelope.json');
    const key$ = join(t.dataDir, 'provenance.pem');
    writeFileSync(
      envelope,
      (await gantry('provenance', 'show', release.runId, '--envelope', '--data-dir', t.dataDir)).stdout,
    );
    writeFileSync(key$, (await gantry('provenance', 'public-key', '--data-dir', t.dataDir)).stdout);
    const offline = await gantry(
      'provenance',
      'verify',
      '--envelope',
      envelope,
      '--public-key',
      key$,
      '--artifact',
      zip,
    );
    expect(offline.code).toBe(0);
    // The README's recipe with standard tools (jq, base64, openssl) verifies the same envelope.
    const shell = readmeRecipe({ 'provenance.pem': key$, 'function.zip': zip, 'envelope.json': envelope });
    expect(shell.status).toBe(0);
    expect(shell.stdout).toContain('Verified OK');
    expect(shell.stdout).toContain(`${zipOf(release).subject.sha256}  function.zip`);
    writeFileSync(zip, 'other bytes');
    const wrong = await gantry('provenance', 'verify', '--envelope', envelope, '--public-key', key$, '--artifact', zip);
    expect(wrong).toMatchObject({ code: 1, stdout: expect.stringContaining('✗ artifact') });
    const evidence = await gantry(
      'audit',
      'evidence',
      release.runId,
      '--out',
      join(t.dataDir, 'evidence'),
      '--data-dir',
      t.dataDir,
    );
    expect(evidence.code).toBe(0);
    const dossier = JSON.parse(readFileSync(join(t.dataDir, 'evidence', `evidence-${release.runId}.json`), 'utf8'));
    expect(dossier.provenance).toMatchObject({
      verified: true,
      builderId: expect.stringMatching(/:project\/gantry-sample-service-gated$/),
      subjects: expect.arrayContaining([expect.objectContaining({ name: 'dist/function.zip' })]),
    });
    expect(dossier.gaps).toEqual([]);
    expect(readFileSync(join(t.dataDir, 'evidence', `evidence-${release.runId}.md`), 'utf8')).toContain(
      '## Build provenance (SLSA v1, DSSE)',
    );
    const unreadable = await gantry(
      'provenance',
      'verify',
      '--envelope',
      join(t.dataDir, 'missing.json'),
      '--public-key',
      key$,
    );
    expect(unreadable.code).toBe(2);
  }, 60_000);

  it('keeps every task token inside the control plane: no CLI output, operator API answer, ledger record or log line holds one', async () => {
    releaseBranch('release/9.3');
    const waiting = await waitingForApproval((await t.push({ branch: 'release/9.3' })).push.after);
    const outputs = [
      (await gantry('runs', 'list', '--json', '--data-dir', t.dataDir)).stdout,
      (await gantry('runs', 'show', waiting.runId.slice(0, 12), '--json', '--data-dir', t.dataDir)).stdout,
      (await gantry('runs', 'show', waiting.runId.slice(0, 12), '--data-dir', t.dataDir)).stdout,
      (await approve(waiting)).stdout,
    ];
    await finishedRun(t, waiting.commit);
    outputs.push((await gantry('audit', 'query', '--json', '--data-dir', t.dataDir)).stdout);
    const answer = await fetch(`${t.plane.webhookUrl}/runs/${waiting.runId}/decision`, {
      method: 'POST',
      headers: await actingAs(
        t.plane,
        'alice',
        `runs/${waiting.runId}/decision`,
        JSON.stringify({ decision: 'approve', reason: 'again' }),
      ),
      body: JSON.stringify({ decision: 'approve', reason: 'again' }),
    });
    outputs.push(await answer.text());

    // Every token any run of this file parked: approvals, deployments, lanes.
    const tokens = (await t.runs.list({ pipeline: 'sample-service', limit: 200 })).flatMap((r) =>
      [r.approval?.taskToken, r.deployment?.taskToken, r.laneToken].filter((x): x is string => !!x),
    );
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    // Every line every function wrote (what CloudWatch Logs would hold), and every build's log.
    const builds = await Promise.all(
      (await t.runs.list({ pipeline: 'sample-service', limit: 200 })).filter((r) => r.build?.logStream).map(buildLog),
    );
    expect(t.logs.length).toBeGreaterThan(100);
    const everything = [...outputs, ...t.logs, ...builds].join('\n');
    expect(everything).toContain(waiting.runId);
    for (const token of tokens) expect(everything).not.toContain(token);
  }, 180_000);
});
