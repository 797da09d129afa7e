import type { GantryConfig } from '../../infra/config/schema';
import type { RunRecord } from '../../shared/runs/model';
import { gantry } from '../support/cli';
import { commitOn, historyOf, ledger, withTestHooks } from '../support/faults';
import { eventually, startTestPlane, type TestPlane } from '../support/local';

const PROD = 'sample-service#prod';
const DAY = 24 * 60 * 60;
/** Prod's approval waits ten days: past WaitTurn's old fixed week. */
const APPROVAL_MINUTES = 10 * 24 * 60;
/** Waits for a callback (approval, lane) run this many times faster: ten days take 24 s. */
const SCALE = 36_000;

function withLongApproval(config: GantryConfig): GantryConfig {
  const copy = structuredClone(config);
  for (const env of copy.pipelines[0]?.environments ?? []) {
    if (env.name === 'prod') env.approval = { ...env.approval, timeoutMinutes: APPROVAL_MINUTES };
  }
  return copy;
}

/**
 * A prod approval that waits past seven days (compressed: callback timeouts SCALE times shorter,
 * nothing else) ahead of queued runs: they neither die holding the lane nor block it.
 */
describe('an approval that waits past a week ahead of queued runs', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await withTestHooks({ callbackTimeoutScale: SCALE }, () =>
      startTestPlane(undefined, { configure: withLongApproval }),
    );
  }, 90_000);
  afterAll(() => t?.close());

  const push = async (branch: string): Promise<string> => {
    const commit = commitOn(t.repo(), branch, `release ${branch}`);
    expect((await t.push({ branch })).status).toBe(202);
    return commit;
  };
  const runOf = (commit: string, what: string, ready: (run: RunRecord) => boolean) =>
    eventually(
      `the run of ${commit.slice(0, 7)} ${what}`,
      async () => (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === commit && ready(r)),
      120_000,
    );
  const waitingForApproval = (r: RunRecord) => r.status === 'RUNNING' && r.stages.approval?.status === 'waiting';
  /** The history of one state's first visit, from its TaskStateEntered to its TaskStateExited. */
  const stateEvents = async (run: RunRecord, state: string) => {
    const history = await historyOf(t.plane, run.executionArn);
    const start = history.findIndex((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === state);
    if (start < 0) return [];
    const end = history.findIndex(
      (e, i) => i > start && e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === state,
    );
    return history.slice(start, end < 0 ? undefined : end + 1);
  };

  it('expires after ten days while the runs behind it keep waiting, then hands the lane on; a decision hands it on too', async () => {
    const first = await runOf(await push('release/long-1'), 'to wait for approval', waitingForApproval);
    const second = await runOf(await push('release/long-2'), 'to queue', (r) => r.status === 'QUEUED');
    const third = await runOf(await push('release/long-3'), 'to queue', (r) => r.status === 'QUEUED');
    expect((await t.runs.laneHolder(PROD))?.runId).toBe(first.runId);

    // The approval waits ten (compressed) days; the queued runs' turn is longer still.
    const approval = (await stateEvents(first, 'Approval prod')).find((e) => e.type === 'TaskScheduled');
    const approvalSeconds = approval?.taskScheduledEventDetails?.timeoutInSeconds ?? 0;
    expect(approvalSeconds * SCALE).toBeGreaterThan(7 * DAY);
    const turn = (await stateEvents(second, 'WaitTurn')).find((e) => e.type === 'TaskScheduled');
    expect(turn?.taskScheduledEventDetails?.timeoutInSeconds ?? 0).toBeGreaterThan(approvalSeconds);

    // It expires: the first run fails as expired, and the oldest queued run is let in, alive.
    const expired = await runOf(first.commit, 'to end', (r) => r.status !== 'RUNNING');
    expect(expired).toMatchObject({
      status: 'FAILED',
      failure: { stage: 'approval' },
      approval: { outcome: 'expired' },
    });
    expect(await ledger(t.dataDir, '--run', first.runId, '--type', 'approval.expired')).toHaveLength(1);
    const admitted = await runOf(second.commit, 'to wait for its own approval', waitingForApproval);
    expect((await stateEvents(admitted, 'WaitTurn')).map((e) => e.type)).toContain('TaskSucceeded');
    expect((await t.runs.get(third.runId))?.status).toBe('QUEUED');
    expect((await t.runs.laneHolder(PROD))?.runId).toBe(second.runId);

    // A decision ends the next approval, and the last queued run goes on.
    const rejected = await gantry(
      'runs',
      'reject',
      second.runId.slice(0, 12),
      '--as',
      'alice',
      '--reason',
      'not this one',
      '--data-dir',
      t.dataDir,
    );
    expect(rejected.code).toBe(0);
    expect(await runOf(second.commit, 'to end', (r) => r.status !== 'RUNNING')).toMatchObject({
      status: 'FAILED',
      failure: { stage: 'approval' },
      approval: { outcome: 'rejected' },
    });
    const last = await runOf(third.commit, 'to wait for its own approval', waitingForApproval);
    expect((await t.runs.laneHolder(PROD))?.runId).toBe(last.runId);

    // Nobody died waiting: each run ended once, as the ledger says, or waits for its approval.
    for (const run of [first, second]) {
      expect(await ledger(t.dataDir, '--run', run.runId, '--type', 'run.failed')).toHaveLength(1);
    }
    expect(await ledger(t.dataDir, '--run', third.runId, '--type', 'run.failed')).toEqual([]);
  }, 300_000);
});
