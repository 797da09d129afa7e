import {
  commitOn,
  executionsOf,
  historyOf,
  ledger,
  listedRuns,
  stateMachineArn,
  withTestHooks,
} from '../support/faults';
import { eventually, finishedRun, startTestPlane, type TestPlane } from '../support/local';

const PIPELINE = 'gantry-pipeline-sample-service';
/** How many times the pipeline's StartExecution is throttled before it goes through. */
const THROTTLED = 3;

describe('fault injection in local mode: admission and lanes', () => {
  let t: TestPlane;
  beforeAll(async () => {
    // Only the first THROTTLED starts of a pipeline execution are refused; then Step Functions answers again.
    t = await withTestHooks(
      { faults: [{ operation: 'StartExecution', stateMachine: PIPELINE, times: THROTTLED }] },
      () => startTestPlane(),
    );
  }, 90_000);
  afterAll(() => t?.close());

  it('turns a delivery acknowledged 202 into exactly one run although the nested StartExecution is throttled', async () => {
    const commit = commitOn(t.repo(), 'develop', 'throttled admission');
    const { status } = await t.push({ branch: 'develop' });
    expect(status).toBe(202);

    const run = await finishedRun(t, commit);
    expect(run).toMatchObject({ status: 'SUCCEEDED', environment: 'dev', commit });

    // Admission tried THROTTLED + 1 times, in one execution, and the last start went through.
    const admission = await executionsOf(t.plane, await stateMachineArn(t.plane, 'Admission'));
    expect(admission).toHaveLength(1);
    expect(admission[0]?.status).toBe('SUCCEEDED');
    const history = await historyOf(t.plane, admission[0]?.executionArn ?? '');
    const failed = history.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error);
    expect(failed).toEqual(Array(THROTTLED).fill(expect.stringMatching(/^StepFunctions\.ThrottlingException$/)));
    expect(history.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);

    // Exactly one pipeline execution, one run, one start in the ledger.
    const pipelines = await executionsOf(t.plane, await stateMachineArn(t.plane, PIPELINE));
    expect(pipelines.map((e) => e.name)).toEqual([run.runId]);
    expect((await listedRuns(t.dataDir)).filter((r) => r.commit === commit)).toHaveLength(1);
    expect(await ledger(t.dataDir, '--commit', commit, '--type', 'run.started')).toHaveLength(1);
  }, 120_000);

  it('gives two concurrent deliveries into a queued lane exactly one RUNNING run; the other runs once the first ends', async () => {
    const lane = 'sample-service#preview';
    const commits = [commitOn(t.repo(), 'demo/lane-a', 'lane a'), commitOn(t.repo(), 'demo/lane-b', 'lane b')];
    const pushed = await Promise.all([t.push({ branch: 'demo/lane-a' }), t.push({ branch: 'demo/lane-b' })]);
    expect(pushed.map((p) => p.status)).toEqual([202, 202]);

    // Both recorded: one took the lane, the other's compare-and-set on the lane failed and it queued.
    const recorded = await eventually('both runs to be recorded', async () => {
      const runs = (await t.runs.list({ lane })).filter((r) => commits.includes(r.commit));
      return runs.length === 2 ? runs : undefined;
    });
    const starts = await Promise.all(
      commits.map(async (c) => (await ledger(t.dataDir, '--commit', c, '--type', 'run.started'))[0]?.details.queued),
    );
    expect([...starts].sort()).toEqual([false, true]);
    const first = recorded.find((r) => r.commit === commits[starts.indexOf(false)]);
    const second = recorded.find((r) => r.commit === commits[starts.indexOf(true)]);
    if (first === undefined || second === undefined) throw new Error('both runs are recorded');

    // The second waits for as long as the first holds the lane, and never runs beside it.
    const ended = await finishedRun(t, first.commit);
    const next = await finishedRun(t, second.commit);
    expect([ended.status, next.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(next.stages.build?.startedAt ?? '').not.toBe('');
    expect(next.stages.build?.startedAt.localeCompare(ended.endedAt ?? '')).toBeGreaterThanOrEqual(0);
    expect(next.deployment?.startedAt.localeCompare(ended.endedAt ?? '')).toBeGreaterThanOrEqual(0);

    // Each ran once, and the lane is free again: the run's record ends at ReportSuccess, and its
    // execution hands the lane on one state later (ReleaseLane), so the lane frees soon after.
    const pipelines = await executionsOf(t.plane, await stateMachineArn(t.plane, PIPELINE));
    expect(pipelines.filter((e) => e.name === first.runId || e.name === second.runId)).toHaveLength(2);
    await eventually('the lane to be released', async () =>
      (await t.runs.laneHolder(lane)) === undefined ? true : undefined,
    );
    expect(await t.runs.laneHolder(lane)).toBeUndefined();
  }, 180_000);
});
