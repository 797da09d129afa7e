import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gantry, ROOT } from '../support/cli';
import { eventually, startTestPlane, type TestPlane } from '../support/local';

describe('the operator CLI against local mode', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
  }, 60_000);
  afterAll(() => t?.close());

  it('runs the pipeline on a local repository with `local push` and follows the run to its end', async () => {
    const result = await gantry('local', 'push', t.repo(), '--branch', 'develop', '--data-dir', t.dataDir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Pushed develop @ [0-9a-f]{7} of gantry-demo\/sample-service: 202 accepted/);
    expect(result.stdout).toMatch(/gates\s+succeeded\s+all gates passed/);
    expect(result.stdout).toMatch(/^Run [0-9a-f]{64} {2}SUCCEEDED$/m);
    // A hang guard: the run follows a build and a canary, slower while the suite's other planes run.
  }, 120_000);

  it('computes delivery metrics from the ledger: the run just deployed to dev counts, with the records it read', async () => {
    const json = await gantry('metrics', 'dora', '--env', 'dev', '--json', '--data-dir', t.dataDir);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      groups: { pipeline: string; environment: string }[];
      deploymentFrequency: { deployments: number; records: string[] };
      leadTimeForChanges: { count: number; changes: { from: string }[] };
      changeFailureRate: { deployments: number; counted: number };
    };
    expect(report.groups).toEqual([expect.objectContaining({ pipeline: 'sample-service', environment: 'dev' })]);
    expect(report.deploymentFrequency.deployments).toBe(1);
    expect(report.leadTimeForChanges.changes).toEqual([expect.objectContaining({ from: 'commit' })]);
    expect(report.changeFailureRate).toMatchObject({ deployments: 1, counted: 0 });
    const [record] = report.deploymentFrequency.records;
    const counted = JSON.parse(
      (await gantry('audit', 'query', '--type', 'deploy.succeeded', '--json', '--data-dir', t.dataDir)).stdout,
    ) as { id: string }[];
    expect(counted.map((e) => e.id)).toContain(record);
    const text = await gantry('metrics', 'dora', '--data-dir', t.dataDir);
    expect(text.stdout).toMatch(/^sample-service\s+dev\s+1\s/m);
    const bad = await gantry('metrics', 'dora', '--from', 'yesterday', '--data-dir', t.dataDir);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--from "yesterday" is not a date') });
  }, 60_000);

  it('says how to add a repository that is not in the config', async () => {
    const result = await gantry('local', 'push', ROOT, '--data-dir', t.dataDir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not in gantry.config.yaml. Add a pipeline for it');
  });

  it('lists runs as a table and as JSON, and shows one with its stages and build log', async () => {
    const table = await gantry('runs', 'list', '--data-dir', t.dataDir);
    expect(table.stdout).toMatch(/^RUN\s+PIPELINE\s+TRIGGER\s+REF\s+COMMIT\s+ENV\s+STATUS/m);
    const [first] = JSON.parse((await gantry('runs', 'list', '--json', '--data-dir', t.dataDir)).stdout) as {
      runId: string;
    }[];
    const shown = await gantry('runs', 'show', first?.runId.slice(0, 8) ?? '', '--data-dir', t.dataDir);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^build\s+succeeded/m);
    expect(shown.stdout).toContain('Build log (last');
    expect(shown.stdout).toContain('Phase complete: BUILD State: SUCCEEDED');
  });

  it('lists and shows runs with no AWS credentials that could read the runs table: only the operator API', async () => {
    // A copy of the session's runtime.json whose AWS credentials the edge never issued: any
    // direct DynamoDB read would be refused; the operator API needs only the token and a proof.
    const dir = mkdtempSync(join(tmpdir(), 'gantry-invoke-only-'));
    const info = JSON.parse(readFileSync(join(t.dataDir, 'runtime.json'), 'utf8')) as Record<string, unknown>;
    info.operator = { accessKeyId: 'AKIANOTISSUED00000', secretAccessKey: 'not-a-secret-the-edge-knows' };
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify(info), { mode: 0o600 });
    const listed = await gantry('runs', 'list', '--json', '--data-dir', dir);
    expect(listed).toMatchObject({ code: 0 });
    const [first] = JSON.parse(listed.stdout) as { runId: string }[];
    expect(first?.runId).toEqual(expect.any(String));
    const shown = await gantry('runs', 'show', first?.runId.slice(0, 10) ?? '', '--json', '--data-dir', dir);
    expect(shown).toMatchObject({ code: 0 });
    expect(JSON.parse(shown.stdout)).toMatchObject({ runId: first?.runId });
    // The same credentials reading the table directly are refused: the test would catch a CLI that did.
    const direct = await gantry('audit', 'verify', '--data-dir', dir);
    expect(direct.code).not.toBe(0);
  });

  it('approves a waiting prod run with `runs approve --as`, refusing what the policy refuses', async () => {
    const { push } = await t.push({ branch: 'develop' });
    await eventually('the develop run', async () =>
      (await t.runs.list({ pipeline: 'sample-service' })).find(
        (r) => r.commit === push.after && r.status === 'SUCCEEDED',
      ),
    );
    const release = await (async () => {
      const { git } = await import('../../cli/local/sample-repo');
      git(t.repo(), 'checkout', '--quiet', '-B', 'release/9.0', 'develop');
      git(t.repo(), 'commit', '--quiet', '--allow-empty', '-m', 'Release 9.0');
      git(t.repo(), 'checkout', '--quiet', 'develop');
      return t.push({ branch: 'release/9.0' });
    })();
    const waiting = await eventually('the approval request', async () =>
      (await t.runs.list({ pipeline: 'sample-service' })).find(
        (r) => r.commit === release.push.after && r.stages.approval?.status === 'waiting',
      ),
    );
    const id = waiting.runId.slice(0, 12);
    expect(await gantry('runs', 'approve', id, '--reason', 'ok', '--data-dir', t.dataDir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--as'),
    });
    // The approval's task token never leaves the control plane: not in any JSON the CLI prints.
    const token = (await t.runs.get(waiting.runId))?.approval?.taskToken;
    expect(token).toEqual(expect.any(String));
    for (const args of [
      ['runs', 'list', '--json'],
      ['runs', 'show', id, '--json'],
      ['runs', 'show', id],
    ]) {
      const printed = await gantry(...args, '--data-dir', t.dataDir);
      expect(printed.code).toBe(0);
      expect(printed.stdout).not.toContain(token);
      expect(printed.stdout).not.toContain('taskToken');
    }
    expect(
      await gantry('runs', 'approve', id, '--as', 'mallory', '--reason', 'ok', '--data-dir', t.dataDir),
    ).toMatchObject({ code: 1, stderr: expect.stringContaining('not_an_approver') });
    expect(
      await gantry('runs', 'approve', id, '--as', 'alice', '--reason', 'shipping it', '--data-dir', t.dataDir),
    ).toMatchObject({ code: 0, stdout: `Run ${id} approved.\n` });
    await eventually('the release to finish', async () =>
      (await t.runs.get(waiting.runId))?.status === 'SUCCEEDED' ? true : undefined,
    );
    // A release through build, gates and deploy, and four gantry commands: a budget like the other whole runs'.
  }, 120_000);
});
