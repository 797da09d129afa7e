import type { RunPlan } from '../../../events';
import { resolvePlan } from '../../../shared/pipelines/plan';
import type { RunRecord } from '../../../shared/runs/model';
import type { RunStore } from '../../../shared/runs/store';
import { fetchSource, type SourceDeps } from '../../../shared/source/fetch';
import { gitObjectId } from '../../../shared/source/git-tree';
import type { BinaryResponse } from '../../../shared/source/http';
import { DEFAULT_ARCHIVE_LIMITS } from '../../../shared/source/repack';
import type { HttpClient, HttpRequest, HttpResponse } from '../../../shared/status/http';
import { planRequest, sourceEvent } from '../../support/plans';
import { MemoryVersionedObjects, sha256 } from '../../support/provenance-fakes';
import { MemoryAudit, StaticSecrets } from '../../support/receiver-fakes';
import { zipOf } from './zips';

const TOKEN = 'glpat-s3cr3t-t0ken';
const COMMIT = 'c'.repeat(40);
const PLAN: RunPlan = {
  ...resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop', headSha: COMMIT }))),
  repository: 'acme/platform/widgets',
  status: {
    provider: 'gitlab',
    connection: 'gitlab-internal',
    secretId: 'gantry/connections/gitlab-internal',
    context: 'gantry/widgets',
    repository: 'acme/platform/widgets',
    commit: COMMIT,
  },
};
const EXECUTION = PLAN.executionArn;
const ARCHIVE = zipOf([
  { name: `widgets-${COMMIT}-${COMMIT}/` },
  { name: `widgets-${COMMIT}-${COMMIT}/buildspec.yml`, content: 'version: 0.2\n' },
]);

/** GitLab's listing of the commit's root: the archive's one file, as committed (or as `content` says). */
const rootListing = (content = 'version: 0.2\n'): HttpResponse => ({
  status: 200,
  headers: {},
  body: JSON.stringify([
    {
      id: gitObjectId('blob', Buffer.from(content), 'sha1'),
      name: 'buildspec.yml',
      type: 'blob',
      path: 'buildspec.yml',
      mode: '100644',
    },
  ]),
});

/** Answers each request with the next scripted answer, recording what was asked. */
class ScriptedHttp implements HttpClient {
  readonly requests: HttpRequest[] = [];
  constructor(private readonly answers: (HttpResponse | BinaryResponse)[]) {}
  async send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('no more answers');
    return answer;
  }
}

const zipAnswer = (bytes: Buffer): BinaryResponse => ({ status: 200, headers: {}, body: '', bytes });
const errorAnswer = (status: number, message: string): HttpResponse => ({
  status,
  headers: {},
  body: JSON.stringify({ message }),
});

function setup(answers: (HttpResponse | BinaryResponse)[], token = TOKEN) {
  const http = new ScriptedHttp(answers);
  const objects = new MemoryVersionedObjects();
  const logs: unknown[] = [];
  const audit = new MemoryAudit();
  const run = { runId: PLAN.runId, executionArn: EXECUTION, plan: PLAN } as RunRecord;
  const deps: SourceDeps = {
    runs: { get: async (id: string) => (id === PLAN.runId ? run : undefined) } as unknown as RunStore,
    audit,
    secrets: new StaticSecrets({ current: { webhookSecret: 'w', apiToken: token } }),
    apis: { 'gitlab-internal': { provider: 'gitlab', apiUrl: 'https://gitlab.internal.example.com/api/v4/' } },
    objects,
    bucket: 'gantry-artifacts',
    delivery: {
      http,
      timeoutMs: 1000,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10 },
      sleep: async () => undefined,
      now: () => 0,
      random: () => 0.5,
    },
    limits: DEFAULT_ARCHIVE_LIMITS,
    logger: { info: (...a: unknown[]) => logs.push(a), warn: (...a: unknown[]) => logs.push(a) },
  };
  return { deps, http, objects, logs, audit };
}

describe('fetchSource', () => {
  it('fetches the run’s commit through its connection, stores the snapshot digest-named, and answers where it is', async () => {
    const { deps, http, objects } = setup([zipAnswer(ARCHIVE), rootListing()]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(http.requests[0]).toMatchObject({
      method: 'GET',
      url: `https://gitlab.internal.example.com/api/v4/projects/acme%2Fplatform%2Fwidgets/repository/archive.zip?sha=${COMMIT}`,
      headers: { 'private-token': TOKEN },
    });
    expect(http.requests[1]).toMatchObject({
      method: 'GET',
      url: `https://gitlab.internal.example.com/api/v4/projects/acme%2Fplatform%2Fwidgets/repository/tree?ref=${COMMIT}&per_page=100&page=1`,
      headers: { 'private-token': TOKEN },
    });
    const snapshot = answer.snapshot;
    expect(answer).toMatchObject({ fetched: true, failure: null });
    expect(snapshot?.key).toBe(`sources/${PLAN.pipeline}/${COMMIT}/${snapshot?.sha256}.zip`);
    expect(snapshot?.location).toBe(`gantry-artifacts/${snapshot?.key}`);
    const stored = objects.bytesOf('gantry-artifacts', snapshot?.key ?? '', snapshot?.versionId);
    expect(sha256(stored.bytes)).toBe(snapshot?.sha256);
  });

  it.each([
    [
      401,
      'unauthorized',
      /HTTP 401: 401 Unauthorized.*put an apiToken that can read .* in secret gantry\/connections\/gitlab-internal\/api-token/,
    ],
    [403, 'unauthorized', /HTTP 403/],
    [
      404,
      'not_found',
      /HTTP 404: 404 Project Not Found.*check that acme\/platform\/widgets and commit cccccccccccc exist/,
    ],
  ])('answers a %i with a reason that names the connection and the fix, at once', async (status, code, reason) => {
    const { deps, http } = setup([
      errorAnswer(status, `${status} ${status === 404 ? 'Project Not Found' : 'Unauthorized'}`),
    ]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(http.requests).toHaveLength(1);
    expect(answer).toMatchObject({ fetched: false, snapshot: null, failure: { error: `Gantry.Source.${code}` } });
    expect(answer.failure?.reason).toMatch(/^source not fetched through connection gitlab-internal: /);
    expect(answer.failure?.reason).toMatch(reason);
  });

  it('retries a 5xx before giving up, and says how many attempts it made', async () => {
    const { deps, http } = setup([errorAnswer(502, 'bad gateway'), errorAnswer(503, 'down'), errorAnswer(500, 'boom')]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(http.requests).toHaveLength(3);
    expect(answer.failure).toMatchObject({ error: 'Gantry.Source.unavailable' });
    expect(answer.failure?.reason).toMatch(/HTTP 500: boom after 3 attempts.*retry the run/);
  });

  it('builds from the archive a retried 5xx finally gave', async () => {
    const { deps, http } = setup([errorAnswer(503, 'down'), zipAnswer(ARCHIVE), rootListing()]);
    expect(await fetchSource(deps, PLAN, EXECUTION)).toMatchObject({ fetched: true });
    expect(http.requests).toHaveLength(3);
  });

  it('takes a file that differs from the commit’s blob, and records that it did', async () => {
    const committed = 'version: 0.2\n# reviewed\n';
    const { deps, http, objects } = setup([
      zipAnswer(ARCHIVE),
      rootListing(committed),
      zipAnswer(Buffer.from(committed)),
    ]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(http.requests[2]?.url).toBe(
      `https://gitlab.internal.example.com/api/v4/projects/acme%2Fplatform%2Fwidgets/repository/blobs/${gitObjectId('blob', Buffer.from(committed), 'sha1')}/raw`,
    );
    expect(answer.snapshot?.repaired).toEqual({
      files: 1,
      dropped: 0,
      paths: ['buildspec.yml'],
      attributes: [],
      summary: '1 file taken from the commit’s blobs because the archive differed (attributes: none found)',
    });
    expect(await objects.list('gantry-artifacts', 'sources/')).toHaveLength(1);
  });

  it('refuses a blob whose bytes are not the commit’s, and stores nothing', async () => {
    const { deps, objects } = setup([
      zipAnswer(ARCHIVE),
      rootListing('version: 0.2\n# reviewed\n'),
      zipAnswer(Buffer.from('version: 0.2\n# not reviewed\n')),
    ]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(answer).toMatchObject({ fetched: false, snapshot: null, failure: { error: 'Gantry.Source.tree_mismatch' } });
    expect(answer.failure?.reason).toMatch(
      /^source not fetched through connection gitlab-internal: the provider’s blob of buildspec\.yml does not hash to its id [0-9a-f]{40}\. Fix: /,
    );
    expect(await objects.list('gantry-artifacts', 'sources/')).toEqual([]);
  });

  it('refuses to build when the commit’s tree cannot be read (fail closed), saying why', async () => {
    const { deps } = setup([zipAnswer(ARCHIVE), errorAnswer(403, '403 Forbidden')]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(answer.failure).toMatchObject({ error: 'Gantry.Source.unauthorized' });
    expect(answer.failure?.reason).toMatch(/the commit’s folder \/ could not be listed: HTTP 403: 403 Forbidden/);
  });

  it('refuses an archive it will not build from, saying which entry', async () => {
    const { deps } = setup([zipAnswer(zipOf([{ name: 'w/' }, { name: 'w/evil', symlink: '../../../etc' }]))]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(answer.failure).toMatchObject({ error: 'Gantry.Source.bad_archive' });
    expect(answer.failure?.reason).toMatch(/symlink evil → \.\.\/\.\.\/\.\.\/etc leads out of the repository/);
  });

  it('never lets the token reach a reason, a log line or the ledger, even when the provider echoes it', async () => {
    const echo = `token ${TOKEN} (${encodeURIComponent(TOKEN)}, ${Buffer.from(TOKEN).toString('base64')}) is revoked`;
    const { deps, logs, audit } = setup([errorAnswer(401, echo)]);
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    const everything = JSON.stringify([answer, logs, audit.records]);
    expect(everything).toContain('is revoked');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(Buffer.from(TOKEN).toString('base64'));
  });

  it('fails with no request at all when the connection has no apiToken', async () => {
    const { deps, http } = setup([], '');
    const answer = await fetchSource(deps, PLAN, EXECUTION);
    expect(http.requests).toHaveLength(0);
    expect(answer.failure?.reason).toMatch(/connection gitlab-internal: the connection’s secret has no apiToken/);
  });

  it('refuses a plan that is not this execution’s run, and records the attempt', async () => {
    const { deps, http, audit } = setup([zipAnswer(ARCHIVE)]);
    await expect(fetchSource(deps, PLAN, `${EXECUTION}-forged`)).rejects.toThrow(
      /source not fetched: run .* belongs to/,
    );
    expect(http.requests).toHaveLength(0);
    expect(audit.records.map((r) => r.type)).toEqual(['security.forged_input']);
  });
});
