import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localPush } from '../../cli/local/push';
import { ensureSampleRepo } from '../../cli/local/sample-repo';
import { loadGantryConfig } from '../../infra/config/load';
import type { RuntimeInfo } from '../../local/discovery';
import { documentClient } from '../../shared/aws/clients';
import type { RunRecord } from '../../shared/runs/model';
import { DynamoDbRunStore } from '../../shared/runs/store';
import { gantry, ROOT } from '../support/cli';
import {
  commitOn,
  type Edge,
  executionsOf,
  historyOf,
  killHard,
  ledger,
  listedRuns,
  runningProcess,
  startLocalProcess,
  stateMachineArn,
  sweepNow,
} from '../support/faults';
import { eventually } from '../support/local';

const DEV = 'sample-service#dev';
const PROD = 'sample-service#prod';
const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * `gantry local up` in its own process, killed with SIGKILL at each step of a run and started
 * again on the same data folder: the sweep (run as its schedule would) closes what the crash
 * left, and the lanes take the next push.
 */
describe('the control plane killed with SIGKILL during a run', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-faults-crash-'));
  const config = loadGantryConfig(join(ROOT, 'gantry.config.yaml'));
  const repo = ensureSampleRepo(join(dataDir, 'repos', 'sample-service'));
  let child: ChildProcess | undefined;
  let info: RuntimeInfo & Edge;
  let runs: DynamoDbRunStore;
  /** The commit of the run killed while building, retried at the end. */
  let killedWhileBuilding: RunRecord;

  const start = async () => {
    child = startLocalProcess(dataDir);
    const running = await runningProcess(dataDir, child);
    const { operator } = running;
    if (operator === undefined) throw new Error('runtime.json names no operator credentials');
    info = { ...running, operator };
    runs = new DynamoDbRunStore(
      documentClient(
        new DynamoDBClient({
          endpoint: info.awsEndpoint,
          region: info.region,
          credentials: info.operator,
        }),
      ),
      'gantry-runs',
    );
  };
  const restart = async () => {
    if (child) await killHard(child);
    await start();
  };
  const push = async (branch: string, message: string): Promise<string> => {
    const commit = commitOn(repo, branch, message);
    const { status } = await localPush({
      config,
      webhookUrl: info.webhookUrl,
      awsEndpoint: info.awsEndpoint,
      ...(info.token === undefined ? {} : { token: info.token }),
      secretsFile: join(dataDir, 'secrets.json'),
      repoDir: repo,
      branch,
    });
    expect(status).toBe(202);
    return commit;
  };
  const runOf = (commit: string, what: string, ready: (run: RunRecord) => boolean) =>
    eventually(
      `the run of ${commit.slice(0, 7)} ${what}`,
      async () =>
        (await runs.list({ pipeline: 'sample-service', limit: 100 })).find((r) => r.commit === commit && ready(r)),
      120_000,
    );
  const ended = (commit: string) => runOf(commit, 'to end', (r) => ENDED.includes(r.status));
  const executionOf = async (run: RunRecord) => {
    const all = await executionsOf(info, await stateMachineArn(info, 'gantry-pipeline-sample-service'));
    return all.filter((e) => e.executionArn === run.executionArn);
  };
  /** After a restart: the killed run's execution failed, the sweep closed the run once, in the ledger too. */
  const expectReconciled = async (killed: RunRecord[]) => {
    for (const run of killed) {
      const [execution, ...more] = await executionOf(run);
      expect(more).toEqual([]);
      expect(execution?.status).toBe('FAILED');
      const last = (await historyOf(info, run.executionArn)).at(-1);
      expect(last?.executionFailedEventDetails?.error).toBe('Gantry.LocalRuntimeRestarted');
      // With the failure beside the status, so that a run that ended another way says how.
      const now = await runs.get(run.runId);
      expect({ status: now?.status, failure: now?.failure }).toEqual({ status: run.status, failure: run.failure });
    }
    const swept = await sweepNow(info);
    expect(swept.closed.map((c) => c.runId).sort()).toEqual(killed.map((r) => r.runId).sort());
    for (const run of killed) {
      expect(await runs.get(run.runId)).toMatchObject({
        status: 'FAILED',
        failure: { error: 'Gantry.Reconciled', reason: expect.stringContaining('ended FAILED') },
      });
      const failed = await ledger(dataDir, '--run', run.runId, '--type', 'run.failed');
      expect(failed.map((e) => e.details.error)).toEqual(['Gantry.Reconciled']);
    }
    // A second sweep finds nothing left to fix.
    expect((await sweepNow(info)).closed).toEqual([]);
  };

  beforeAll(start, 120_000);
  afterAll(async () => {
    if (child) await killHard(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes a run killed while building, and the lane takes the next push', async () => {
    const commit = await push('develop', 'killed while building');
    const building = await runOf(commit, 'to build', () => true);
    await eventually('the Build state to be under way', async () =>
      (await historyOf(info, building.executionArn)).some(
        (e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Build',
      )
        ? true
        : undefined,
    );
    expect((await runs.get(building.runId))?.status).toBe('RUNNING');
    await restart();

    await expectReconciled([building]);
    expect(await runs.laneHolder(DEV)).toBeUndefined();
    killedWhileBuilding = (await runs.get(building.runId)) ?? building;
  }, 240_000);

  it('closes a run killed while deploying, and the deployment group takes the next release', async () => {
    const commit = await push('develop', 'killed while deploying');
    const deploying = await runOf(commit, 'to deploy', (r) => r.deployment?.status === 'in_progress');
    // The dev lane took this push at once: the run killed before it did not keep it.
    expect((await ledger(dataDir, '--commit', commit, '--type', 'run.started'))[0]?.details.queued).toBe(false);
    await restart();

    await expectReconciled([deploying]);
    expect(await runs.laneHolder(DEV)).toBeUndefined();
    const next = await ended(await push('develop', 'after the killed deployment'));
    // With the failure beside the statuses, so that a failing run says why.
    expect({ status: next.status, deployment: next.deployment?.status, failure: next.failure }).toEqual({
      status: 'SUCCEEDED',
      deployment: 'succeeded',
      failure: undefined,
    });
  }, 300_000);

  it('closes a run killed while waiting for approval, and the run queued behind it; the prod lane takes the next release', async () => {
    const waiting = await runOf(await push('release/crash-1', 'waits for approval'), 'to wait for approval', (r) =>
      Boolean(r.approval && r.stages.approval?.status === 'waiting'),
    );
    const queued = await runOf(
      await push('release/crash-2', 'queued behind it'),
      'to queue',
      (r) => r.status === 'QUEUED',
    );
    expect((await runs.laneHolder(PROD))?.runId).toBe(waiting.runId);
    await restart();

    await expectReconciled([waiting, queued]);
    expect(await runs.laneHolder(PROD)).toBeUndefined();
    // The approval of the closed run is closed too: nobody can approve what no execution waits for.
    const late = await gantry(
      'runs',
      'approve',
      waiting.runId.slice(0, 12),
      '--as',
      'bob',
      '--reason',
      'late',
      '--data-dir',
      dataDir,
    );
    expect(late.code).not.toBe(0);
    const next = await runOf(await push('release/crash-3', 'the next release'), 'to wait for approval', (r) =>
      Boolean(r.stages.approval?.status === 'waiting'),
    );
    expect(next.status).toBe('RUNNING');
    expect((await runs.laneHolder(PROD))?.runId).toBe(next.runId);
  }, 300_000);

  it('retries the run killed while building with `gantry runs retry`: a new, linked run of the same commit builds again', async () => {
    const before = await executionsOf(info, await stateMachineArn(info, 'gantry-pipeline-sample-service'));
    const retried = await gantry(
      'runs',
      'retry',
      killedWhileBuilding.runId.slice(0, 12),
      '--reason',
      'the control plane crashed',
      '--as',
      'ops',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(retried.code).toBe(0);
    const out = JSON.parse(retried.stdout) as { runId: string; retryOf: string; commit: string };
    expect(out).toMatchObject({ retryOf: killedWhileBuilding.runId, commit: killedWhileBuilding.commit });

    const again = await eventually(
      'the retry to end',
      async () => {
        const run = (await listedRuns(dataDir)).find((r) => r.runId === out.runId);
        return run && ENDED.includes(run.status) ? run : undefined;
      },
      120_000,
    );
    expect(again).toMatchObject({
      status: 'SUCCEEDED',
      commit: killedWhileBuilding.commit,
      environment: 'dev',
      plan: { retry: { ofRunId: killedWhileBuilding.runId, requestedBy: 'ops', reason: 'the control plane crashed' } },
      build: { status: 'SUCCEEDED' },
    });
    expect(again.build?.id).toBeDefined();
    expect(again.build?.id).not.toBe(killedWhileBuilding.build?.id);
    // One more execution, the retry's; the run it retries stays as it ended.
    const after = await executionsOf(info, await stateMachineArn(info, 'gantry-pipeline-sample-service'));
    expect(after.length - before.length).toBe(1);
    expect((await runs.get(killedWhileBuilding.runId))?.status).toBe('FAILED');
    // The ledger says who asked and why, and the new run's start and end.
    const asked = await ledger(dataDir, '--run', out.runId);
    expect(asked.map((e) => e.type)).toEqual(
      expect.arrayContaining(['operator.action', 'run.started', 'run.succeeded']),
    );
    expect(asked.find((e) => e.type === 'operator.action')).toMatchObject({
      actor: { id: 'ops' },
      details: expect.objectContaining({ action: 'retry', reason: 'the control plane crashed' }),
    });
  }, 240_000);
});
