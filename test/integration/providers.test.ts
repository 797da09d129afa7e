import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localPush } from '../../cli/local/push';
import { git } from '../../cli/local/sample-repo';
import type { Provider } from '../../events';
import type { GantryConfig, PipelineConfig } from '../../infra/config/schema';
import { readLocalSecret } from '../../local/secretsmanager';
import type { RunRecord } from '../../shared/runs/model';
import { entryContent } from '../../shared/source/repack';
import { readCentralDirectory } from '../../shared/source/zip-read';
import { adapterFor } from '../../shared/webhooks/normalize';
import { commitOn } from '../support/faults';
import { edgeClientConfig, eventually, startTestPlane, type TestPlane } from '../support/local';

/** Both fixtures push 9b8e7d6c… to main; the test pushes the sample repository's main instead. */
const FIXTURE_HEAD = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';
const GITLAB_REPOSITORY = 'platform/ci/gantry-demo';
const AZURE_REPOSITORY = 'Platform/gantry-demo';

/** The sample pipeline's build and gates, from another provider's repository, with no deploy. */
function withProviderPipelines(config: GantryConfig): GantryConfig {
  const sample = config.pipelines[0] as PipelineConfig;
  const pipeline = (name: string, provider: Provider, repository: string, connection: string): PipelineConfig => ({
    ...sample,
    name,
    source: { provider, repository, connection },
    triggers: { push: { branches: ['main'] } },
    environments: [],
  });
  return {
    ...config,
    connections: [
      ...config.connections,
      { name: 'gitlab-local', provider: 'gitlab' },
      { name: 'ado-local', provider: 'azure-devops', apiUrl: 'https://dev.azure.com/gantry-labs' },
    ],
    pipelines: [
      ...config.pipelines,
      pipeline('gitlab-service', 'gitlab', GITLAB_REPOSITORY, 'gitlab-local'),
      pipeline('azure-service', 'azure-devops', AZURE_REPOSITORY, 'ado-local'),
    ],
  };
}

let t: TestPlane;
let head: string;

/** Azure DevOps service hooks authenticate with Basic credentials: its connection's secret is `user:password`. */
const AZURE_SECRET_ENV = 'GANTRY_SECRET_GANTRY_CONNECTIONS_ADO_LOCAL';

beforeAll(async () => {
  process.env[AZURE_SECRET_ENV] = JSON.stringify({ webhookSecret: 'gantry:hook-p4ss', apiToken: 'ado-local-pat' });
  t = await startTestPlane(undefined, { configure: withProviderPipelines });
  head = git(t.repo(), 'rev-parse', 'main^{commit}');
}, 120_000);
afterAll(async () => {
  delete process.env[AZURE_SECRET_ENV];
  await t.close();
});

/** The provider's own push delivery (a stored fixture, pointed at `commit`), with the provider's own authentication. */
async function push(provider: Provider, fixture: string, connection: string, commit: string): Promise<number> {
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'webhooks', provider, fixture), 'utf8');
  const payload = JSON.parse(text.replaceAll(FIXTURE_HEAD, commit)) as Record<string, unknown>;
  // Azure DevOps names the delivery in the body: each push here is a delivery of its own.
  if (typeof payload.id === 'string') payload.id = crypto.randomUUID();
  const body = Buffer.from(JSON.stringify(payload));
  const { webhookSecret } = JSON.parse(
    readLocalSecret(join(t.dataDir, 'secrets.json'), `gantry/connections/${connection}`, process.env),
  ) as { webhookSecret: string };
  const adapter = adapterFor(provider);
  const headers = adapter.deliveryHeaders({
    body,
    secret: webhookSecret,
    eventName: adapter.pushEventName,
    deliveryId: crypto.randomUUID(),
  });
  const res = await fetch(`${t.plane.webhookUrl}/webhooks/${provider}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return res.status;
}

/** The GETs the fake provider received for `commit` through `provider`'s prefix. */
function providerReads(provider: Provider, commit: string) {
  return t.plane.providers
    .requests()
    .filter((r) => r.method === 'GET' && r.path.startsWith(`/${provider}/`) && r.path.includes(commit));
}

/** GitLab's `archive.zip` or Azure DevOps' `items?$format=zip`. */
const isArchive = (r: { path: string }) => /\/archive\.zip\?|format=zip/.test(r.path);

function endedRun(pipeline: string, commit: string): Promise<RunRecord> {
  return eventually(
    `the ${pipeline} run of ${commit.slice(0, 12)} to end`,
    async () => {
      const run = (await t.runs.list({ pipeline })).find((r) => r.commit === commit);
      return run && !['QUEUED', 'RUNNING'].includes(run.status) ? run : undefined;
    },
    90_000,
  );
}

/** The statement the run's signed provenance envelope carries. */
async function provenanceOf(
  run: RunRecord,
): Promise<{ predicate: { buildDefinition: { resolvedDependencies: unknown[] } } }> {
  const s3 = new S3Client({ ...edgeClientConfig(t.plane), forcePathStyle: true });
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: run.provenance?.bucket,
      Key: run.provenance?.key,
      VersionId: run.provenance?.versionId,
    }),
  );
  const envelope = JSON.parse(await (out.Body?.transformToString() ?? '{}')) as { payload: string };
  s3.destroy();
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
}

describe.each([
  ['gitlab', 'push.json', 'gitlab-local', 'gitlab-service', GITLAB_REPOSITORY, 'success'],
  ['azure-devops', 'git-push.json', 'ado-local', 'azure-service', AZURE_REPOSITORY, 'succeeded'],
] as const)('a %s pipeline, end to end', (provider, fixture, connection, pipeline, repository, providerSuccess) => {
  it('builds from the snapshot of the pushed commit, gates it, names the snapshot in its provenance and reports status', async () => {
    // What a push to the provider does: the provider now has the commits (its archive API serves them).
    expect((await t.plane.providers.registerRepository(provider, repository, t.repo())).status).toBe(204);
    expect(await push(provider, fixture, connection, head)).toBe(202);
    const run = await endedRun(pipeline, head);
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'SUCCEEDED', failure: undefined });
    expect(run.gates?.passed).toBe(true);

    const build = t.plane.codeBuild.getBuild(run.build?.id ?? '');
    expect(build.source.type).toBe('S3');
    const [, key = ''] = /^[^/]+\/(.+)$/.exec(build.source.location) ?? [];
    const digest = new RegExp(`^sources/${pipeline}/${head}/([0-9a-f]{64})\\.zip$`).exec(key)?.[1];
    expect(digest).toBeDefined();
    expect(build.sourceVersion).toMatch(/\S/);

    const statement = await provenanceOf(run);
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([
      {
        uri: expect.stringContaining(`/${key}?versionId=`),
        digest: { sha256: digest, gitCommit: head },
      },
    ]);

    const asked = providerReads(provider, head);
    expect(asked.filter(isArchive)).toHaveLength(1);
    // The commit's tree, which the snapshot was bound to before it was stored.
    expect(asked.filter((r) => /\/repository\/tree\?|\/commits\//.test(r.path))).toHaveLength(1);
    const statuses = t.plane.providers.statuses().filter((s) => s.provider === provider && s.commit === head);
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(statuses.at(-1)).toMatchObject({
      context: run.environment === null ? `gantry/${pipeline}` : `gantry/${pipeline}/${run.environment}`,
      providerState: providerSuccess,
    });
  }, 120_000);
});

describe.each([
  ['gitlab', 'gitlab-service', GITLAB_REPOSITORY],
  ['azure-devops', 'azure-service', AZURE_REPOSITORY],
] as const)('gantry local push to a %s pipeline', (provider, pipeline, repository) => {
  it("sends the provider's own push with its own authentication, and the run builds from the snapshot and succeeds", async () => {
    const commit = commitOn(t.repo(), 'main', `local push to ${provider}`);
    const pushed = await localPush({
      config: t.config,
      webhookUrl: t.plane.webhookUrl,
      awsEndpoint: t.plane.awsEndpoint,
      token: t.plane.token,
      secretsFile: join(t.dataDir, 'secrets.json'),
      repoDir: t.repo(),
      branch: 'main',
      repository,
    });
    expect({ status: pushed.status, pipeline: pushed.pipeline.name }).toEqual({ status: 202, pipeline });
    expect(pushed.push.after).toBe(commit);

    const run = await endedRun(pipeline, commit);
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'SUCCEEDED', failure: undefined });
    const build = t.plane.codeBuild.getBuild(run.build?.id ?? '');
    expect(build.source.type).toBe('S3');
    expect(build.source.location).toMatch(new RegExp(`/sources/${pipeline}/${commit}/[0-9a-f]{64}\\.zip$`));
    expect(providerReads(provider, commit).filter(isArchive)).toHaveLength(1);
    // The run's record ends one state before the report to the provider is sent.
    const statuses = await eventually('the final commit status', async () => {
      const posted = t.plane.providers.statuses().filter((s) => s.provider === provider && s.commit === commit);
      return posted.length >= 2 ? posted : undefined;
    });
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'success']);
  }, 120_000);
});

describe('a source fetch the provider refuses', () => {
  it('fails the run with a reason that names the connection and the fix, on the record and in the commit status', async () => {
    // A commit the Azure DevOps fake's repository does not hold: its archive API answers 404.
    const unknown = 'f'.repeat(40);
    expect(await push('azure-devops', 'git-push.json', 'ado-local', unknown)).toBe(202);
    const run = await endedRun('azure-service', unknown);
    expect(run.status).toBe('FAILED');
    expect(run.failure?.reason).toMatch(/source not fetched through connection ado-local: HTTP 404/);
    expect(run.failure?.reason).toMatch(/Fix: check that Platform\/gantry-demo and commit ffffffffffff exist/);
    expect(run.failure?.reason).not.toMatch(/\n\s+at /);
    // The run's record ends one state before the report to the provider is sent.
    const statuses = await eventually('the final commit status', async () => {
      const posted = t.plane.providers.statuses().filter((s) => s.provider === 'azure-devops' && s.commit === unknown);
      return posted.length >= 2 ? posted : undefined;
    });
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'failure']);
    expect(statuses.at(-1)?.description).toMatch(/connection ado-local/);
  }, 120_000);
});

/** A file's bytes in the snapshot a build ran from (its S3 source, at its version). */
async function snapshotFile(location: string, versionId: string, path: string): Promise<string | undefined> {
  const [, bucket = '', key = ''] = /^([^/]+)\/(.+)$/.exec(location) ?? [];
  const s3 = new S3Client({ ...edgeClientConfig(t.plane), forcePathStyle: true });
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const zip = Buffer.from((await out.Body?.transformToByteArray()) ?? []);
  s3.destroy();
  const entry = readCentralDirectory(zip, 1000).find((e) => e.name === path);
  return entry === undefined ? undefined : entryContent(zip, entry, path).toString('utf8');
}

describe('a pushed commit whose .gitattributes reshape its archive', () => {
  it('is built from the commit’s exact tree: the file the archive rewrote is taken from the commit’s blob', async () => {
    // A merge commit's body is its pull request's description, which can change after approval.
    const repo = t.repo();
    const committed = "module.exports = { notes: '$Format:%b$' };\n";
    git(repo, 'checkout', '--quiet', 'main');
    writeFileSync(join(repo, '.gitattributes'), 'src/version.js export-subst\n');
    writeFileSync(join(repo, 'src', 'version.js'), committed);
    git(repo, 'add', '.gitattributes', 'src/version.js');
    git(repo, 'commit', '--quiet', '-m', 'Merge pull request #9', '-m', 'process.exit(0) // not what was reviewed');
    const commit = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'checkout', '--quiet', 'develop');
    const pushed = await localPush({
      config: t.config,
      webhookUrl: t.plane.webhookUrl,
      awsEndpoint: t.plane.awsEndpoint,
      token: t.plane.token,
      secretsFile: join(t.dataDir, 'secrets.json'),
      repoDir: repo,
      branch: 'main',
      repository: GITLAB_REPOSITORY,
    });
    expect(pushed.status).toBe(202);

    const run = await endedRun('gitlab-service', commit);
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'SUCCEEDED', failure: undefined });
    const build = t.plane.codeBuild.getBuild(run.build?.id ?? '');
    expect(await snapshotFile(build.source.location, build.sourceVersion ?? '', 'src/version.js')).toBe(committed);
    const blob = git(repo, 'rev-parse', `${commit}:src/version.js`);
    const blobReads = t.plane.providers
      .requests()
      .filter((r) => r.method === 'GET' && r.path.includes(`/repository/blobs/${blob}/raw`));
    expect(blobReads).toHaveLength(1);
  }, 120_000);
});
