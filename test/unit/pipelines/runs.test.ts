import type { PipelineDefinition, RunPlan, SourceEvent, Trigger } from '../../../events';
import {
  closeUnplanned,
  describeFailure,
  finishRun,
  recordFailure,
  releaseLane,
  reportEnded,
} from '../../../shared/pipelines/finish';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { admissionName, enterLane, resolveRun, startRun, waitForTurn } from '../../../shared/pipelines/start';
import { sweepRuns } from '../../../shared/pipelines/sweep';
import { createRunsTable, dynaliteTables } from '../../support/aws';
import { MemoryAdmissions, openedDeployment, type PipelineFakes, pipelineFakes } from '../../support/pipeline-fakes';
import { DEFINITION, planRequest, pullRequestEvent, sourceEvent } from '../../support/plans';

describe('pipeline runs', () => {
  const tables = dynaliteTables(createRunsTable, 'runs');
  let f: PipelineFakes;
  beforeEach(() => {
    f = pipelineFakes(tables.client, tables.name);
  });

  /** Records what a dev run's record holds when it gets to ReportSuccess: passing gates, a baked deployment. */
  async function recordDeployed(runId: string, { baked = true } = {}): Promise<void> {
    await f.runs.update(runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
    await f.runs.openDeployment(
      runId,
      {
        taskToken: 'deploy-token',
        target: 'widgets-dev:live',
        strategy: 'Canary10Percent5Minutes',
        fromVersion: '3',
        toVersion: '4',
        status: 'in_progress',
        startedAt: f.now.toISOString(),
      },
      f.now,
    );
    await f.runs.closeDeployment(runId, { status: 'succeeded', endedAt: f.now.toISOString() }, f.now);
    await f.runs.setStage(runId, 'deploy', { status: 'succeeded', startedAt: f.now.toISOString() }, f.now);
    if (baked) await f.runs.noteBaked(runId, 2, f.now);
  }

  /** ReportSuccess of a run whose record says it succeeded. */
  async function reportSuccess(plan: RunPlan): Promise<void> {
    await recordDeployed(plan.runId);
    await finishRun(f.deps, plan, 'success', plan.executionArn);
  }

  describe('startRun', () => {
    it('records the run, posts a pending status and audits the start', async () => {
      const started = await startRun(f.deps, planRequest(sourceEvent()));
      expect(started).toMatchObject({ skip: false, waitForTurn: false, environment: 'dev' });
      expect(await f.runs.get(started.runId)).toMatchObject({
        status: 'RUNNING',
        pipeline: 'widgets',
        lane: 'widgets#dev',
      });
      expect(f.statuses.posted).toEqual([
        expect.objectContaining({ state: 'pending', context: 'gantry/widgets/dev', connection: 'gh' }),
      ]);
      expect(f.audit.records.map((r) => r.type)).toEqual(['run.started']);
    });

    it('plans only a change the webhook receiver verified and published, exactly as published, once, as what it is', async () => {
      const admissions = new MemoryAdmissions();
      const deps = { ...f.deps, admissions };
      const arn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:gantry-pipeline-widgets:${name}`;
      const resolve = (
        source: SourceEvent,
        trigger: Trigger = 'push',
        name = admissionName(DEFINITION.name, source.eventId),
      ) =>
        resolveRun(deps, {
          pipeline: DEFINITION,
          execution: { id: arn(name), name },
          start: { trigger, source },
        });
      const admitted = sourceEvent();
      admissions.admit(admitted);
      await expect(resolve(admitted)).resolves.toMatchObject({ skip: false, environment: 'dev' });

      // Made up by whoever may StartExecution: no delivery holds it; a published change with
      // another clone URL; a change admitted for another repository; an admitted pull request
      // (whose source branch its author named) passed off as a push; an admitted event run again
      // under a fresh name (a replay that would redeploy a stale commit).
      const madeUp = sourceEvent({ headSha: 'f'.repeat(40) });
      const cloned = { ...admitted, repository: { ...admitted.repository, cloneUrl: 'https://evil.example/w.git' } };
      const other = sourceEvent({ repository: { fullName: 'acme/other', cloneUrl: null, htmlUrl: null } });
      const pr = sourceEvent({ kind: 'pull_request', branch: 'develop' });
      for (const event of [other, pr]) admissions.admit(event);
      await expect(resolve(madeUp)).rejects.toThrow(/no verified delivery .* holds event/);
      await expect(resolve(cloned)).rejects.toThrow(/differs from what the webhook receiver verified/);
      await expect(resolve(other)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringMatching(/is for github acme\/other, not github acme\/widgets/),
      });
      // The same name at another provider is another repository.
      const elsewhere = sourceEvent({ provider: 'gitlab', eventId: 'gitlab:d-9:0' });
      admissions.admit(elsewhere);
      await expect(resolve(elsewhere)).rejects.toThrow(/is for gitlab acme\/widgets, not github acme\/widgets/);
      await expect(resolve(pr, 'push')).rejects.toThrow(/is a pull_request, not a push/);
      await expect(resolve(admitted, 'push', 'replay-1')).rejects.toThrow(
        /execution replay-1 is not the one admission names after event/,
      );
      // Another pipeline of the repository names its run of the event otherwise: two runs, two ids.
      const lintName = admissionName('widgets-lint', admitted.eventId);
      expect(lintName).not.toBe(admissionName(DEFINITION.name, admitted.eventId));
      await expect(resolve(admitted, 'push', lintName)).rejects.toThrow(/is not the one admission names/);
      expect(await f.runs.list({ pipeline: 'widgets' })).toHaveLength(1);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toHaveLength(7);
    });

    it('plans for the pipeline its own execution runs, never the one a direct invoke’s payload names', async () => {
      const admissions = new MemoryAdmissions();
      const deps = { ...f.deps, admissions };
      const machine = 'arn:aws:states:us-east-1:123456789012:execution:gantry-pipeline-widgets';
      const admitted = sourceEvent();
      admissions.admit(admitted);
      const name = admissionName(DEFINITION.name, admitted.eventId);
      const resolve = (pipeline: PipelineDefinition, id = `${machine}:${name}`) =>
        resolveRun(deps, { pipeline, execution: { id, name }, start: { trigger: 'push', source: admitted } });
      // The payload's pipeline lets anyone approve nothing and deploy develop to prod.
      const lax = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) =>
          e.name === 'prod' ? { ...e, branches: ['develop'], approval: { ...e.approval, required: false } } : e,
        ),
      };
      await expect(resolve(lax)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringMatching(
          /input's pipeline widgets differs from the one the state machine of execution .* carries/,
        ),
      });
      // An execution no pipeline state machine has (a direct invoke makes up the ARN), or a name not the ARN's.
      await expect(
        resolve(DEFINITION, `arn:aws:states:us-east-1:123456789012:execution:other:${name}`),
      ).rejects.toThrow(/runs no pipeline Gantry deployed \(Execution Does Not Exist/);
      await expect(resolve(DEFINITION, `${machine}:someone-else`)).rejects.toThrow(
        /execution name .* is not the name in execution/,
      );
      expect(await f.runs.list({ pipeline: 'widgets' })).toEqual([]);
      expect(f.statuses.posted).toEqual([]);
      const refusals = f.audit.records.filter((r) => r.type === 'security.forged_input');
      expect(refusals.map((r) => [r.details.step, r.subject.runId, r.subject.pipeline])).toEqual([
        ['resolve-plan', name, 'widgets'],
        ['resolve-plan', name, 'widgets'],
        ['resolve-plan', name, 'widgets'],
      ]);
      // The commit a forged input claims is said, not indexed: it must not make a real run of that
      // id (of another pipeline) the evidence for a commit it never built.
      expect(refusals.map((r) => r.subject.commit)).toEqual([null, null, null]);
      expect(refusals[0]?.details.reason).toContain(`(the input claimed commit ${admitted.headSha})`);
      // The payload the state machine carries is the pipeline it runs: planned.
      await expect(resolve(DEFINITION)).resolves.toMatchObject({ pipeline: 'widgets', environment: 'dev' });
      expect(f.pipelines.asked).toEqual([]);
    });

    it('records nothing for a change it skips', async () => {
      const started = await startRun(f.deps, planRequest(sourceEvent({ branch: 'release/tmp-9' })));
      expect(started.skip).toBe(true);
      expect(await f.runs.get(started.runId)).toBeUndefined();
      expect(f.statuses.posted).toEqual([]);
    });

    it('is idempotent: a retried ResolvePlan finds the run it already recorded', async () => {
      const request = planRequest(sourceEvent());
      await startRun(f.deps, request);
      await expect(startRun(f.deps, request)).resolves.toMatchObject({
        runId: request.execution.name,
        waitForTurn: false,
      });
      expect(await f.runs.list({ pipeline: 'widgets' })).toHaveLength(1);
    });

    it('queues a run behind a running one in its lane, and hands it the lane when that one ends', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      const second = await startRun(f.deps, planRequest(sourceEvent()));
      expect(second.waitForTurn).toBe(true);
      expect((await f.runs.get(second.runId))?.status).toBe('QUEUED');
      await waitForTurn(f.deps, second, 'lane-token', second.executionArn);
      expect(f.executions.successes).toEqual([]);

      // A forged ReleaseLane, or one for a run still running, hands nothing on.
      await releaseLane(f.deps, first, `${first.executionArn}-forged`);
      await releaseLane(f.deps, first, first.executionArn);
      // ReportStatus closes the run but answers no task: it holds no states:SendTaskSuccess.
      await reportSuccess(first);
      expect(f.executions.successes).toEqual([]);
      await releaseLane(f.deps, first, first.executionArn);
      expect(f.executions.successes).toEqual([{ token: 'lane-token', output: { admitted: true } }]);
      expect((await f.runs.get(second.runId))?.status).toBe('RUNNING');
    });

    it('parks a lane token only on the queued run of the execution that parks it', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      const second = await startRun(f.deps, planRequest(sourceEvent()));
      await waitForTurn(f.deps, second, 'lane-token', second.executionArn);
      // Another execution (or a direct invoke naming one) cannot swap the queued run's token: a bogus
      // token would close it as gone, another task's token would be answered "admitted".
      const other = `${second.executionArn}-other`;
      await expect(waitForTurn(f.deps, second, 'approval-token-of-another-run', other)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringContaining(`belongs to execution ${second.executionArn}, not to ${other}`),
      });
      expect((await f.runs.get(second.runId))?.laneToken).toBe('lane-token');
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([
        expect.objectContaining({
          outcome: 'rejected',
          subject: expect.objectContaining({ runId: second.runId }),
          details: expect.objectContaining({ step: 'wait-turn', executionArn: other }),
        }),
      ]);
      await reportSuccess(first);
      await releaseLane(f.deps, first, first.executionArn);
      expect(f.executions.successes).toEqual([{ token: 'lane-token', output: { admitted: true } }]);
      // A retried WaitTurn of the run let in answers nothing and keeps its token; an ended run parks nothing.
      await waitForTurn(f.deps, second, 'retry-token', second.executionArn);
      expect(f.executions.successes).toHaveLength(1);
      expect((await f.runs.get(second.runId))?.laneToken).toBe('lane-token');
      await f.runs.setStatus(second.runId, 'FAILED', f.now);
      await expect(waitForTurn(f.deps, second, 'late-token', second.executionArn)).rejects.toMatchObject({
        name: 'Gantry.RunEnded',
      });
      expect((await f.runs.get(second.runId))?.laneToken).toBe('lane-token');
    });

    it('skips a queued run whose execution has ended, closing it, and hands the lane to the next live one', async () => {
      // A second apart, so the lane's queue order is their arrival, not how their ids sort.
      const later = async () => {
        f.now = new Date(f.now.getTime() + 1000);
        return startRun(f.deps, planRequest(sourceEvent()));
      };
      const first = await later();
      const gone = await later();
      const live = await later();
      await waitForTurn(f.deps, gone, 'gone-token', gone.executionArn);
      await waitForTurn(f.deps, live, 'live-token', live.executionArn);
      f.executions.refusedTokens.set('gone-token', 'TaskTimedOut');
      await reportSuccess(first);
      await releaseLane(f.deps, first, first.executionArn);
      expect(await f.runs.get(gone.runId)).toMatchObject({
        status: 'FAILED',
        failure: { stage: 'plan', error: 'Gantry.QueuedRunGone', reason: expect.stringContaining('TaskTimedOut') },
      });
      expect(f.executions.successes).toEqual([{ token: 'live-token', output: { admitted: true } }]);
      expect((await f.runs.get(live.runId))?.status).toBe('RUNNING');
      // The closed run says so in the ledger.
      expect(f.audit.records.filter((r) => r.type === 'run.failed').map((r) => r.subject.runId)).toEqual([gone.runId]);
    });

    it('undoes a handover Step Functions did not answer, and fails the step so its Retry hands the lane on again', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      const second = await startRun(f.deps, planRequest(sourceEvent()));
      await waitForTurn(f.deps, second, 'second-token', second.executionArn);
      f.executions.refusedTokens.set('second-token', 'ThrottlingException');
      await reportSuccess(first);
      await expect(releaseLane(f.deps, first, first.executionArn)).rejects.toMatchObject({
        name: 'ThrottlingException',
      });
      expect((await f.runs.get(second.runId))?.status).toBe('QUEUED');
      expect(await f.runs.laneHolder('widgets#dev')).toBeUndefined();
      // The retried ReleaseLane, once Step Functions answers again.
      f.executions.refusedTokens.clear();
      await releaseLane(f.deps, first, first.executionArn);
      expect(f.executions.successes).toEqual([{ token: 'second-token', output: { admitted: true } }]);
      expect((await f.runs.laneHolder('widgets#dev'))?.runId).toBe(second.runId);
    });

    it('gives exactly one RUNNING run to deliveries that arrive at once in a queued lane (the lane is a lock, not a query)', async () => {
      const started = await Promise.all(Array.from({ length: 6 }, () => startRun(f.deps, planRequest(sourceEvent()))));
      const runs = await Promise.all(started.map((r) => f.runs.get(r.runId)));
      expect(runs.filter((r) => r?.status === 'RUNNING')).toHaveLength(1);
      expect(runs.filter((r) => r?.status === 'QUEUED')).toHaveLength(5);
      const [holder] = runs.filter((r) => r?.status === 'RUNNING');
      expect((await f.runs.laneHolder('widgets#dev'))?.runId).toBe(holder?.runId);
      // The lock item is no run: no listing shows it.
      expect((await f.runs.list({ lane: 'widgets#dev' })).map((r) => r.runId).sort()).toEqual(
        started.map((r) => r.runId).sort(),
      );
    });

    it('hands a lane on to one queued run however many callers hand it on at once', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      const waiting = await Promise.all([1, 2, 3].map(() => startRun(f.deps, planRequest(sourceEvent()))));
      for (const [i, run] of waiting.entries()) await waitForTurn(f.deps, run, `token-${i}`, run.executionArn);
      await reportSuccess(first);
      await Promise.all([1, 2, 3].map(() => releaseLane(f.deps, first, first.executionArn)));
      expect(f.executions.successes).toHaveLength(1);
      const statuses = await Promise.all(waiting.map(async (r) => (await f.runs.get(r.runId))?.status));
      expect(statuses.filter((s) => s === 'RUNNING')).toHaveLength(1);
    });

    it('takes over a lane whose holder ended without letting go (its execution was stopped)', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      await f.runs.setStatus(first.runId, 'FAILED', f.now);
      const second = await startRun(f.deps, planRequest(sourceEvent()));
      expect(second.waitForTurn).toBe(false);
      expect((await f.runs.laneHolder('widgets#dev'))?.runId).toBe(second.runId);
    });

    it('lets a queued run go at once if its lane emptied before it parked', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      const second = await startRun(f.deps, planRequest(sourceEvent()));
      await reportSuccess(first);
      await waitForTurn(f.deps, second, 'lane-token', second.executionArn);
      expect(f.executions.successes).toEqual([{ token: 'lane-token', output: { admitted: true } }]);
    });

    it('stops the older run of the lane under the superseded policy', async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const first = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      const second = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      expect(second.waitForTurn).toBe(false);
      expect(await f.runs.get(first.runId)).toMatchObject({ status: 'CANCELLED', cancelledBy: second.runId });
      expect(f.executions.stopped).toEqual([{ executionArn: first.executionArn, error: 'Gantry.Superseded' }]);
      // The ledger says how the older run ended, and which run ended it.
      expect(f.audit.records.filter((r) => r.type === 'run.failed')).toEqual([
        expect.objectContaining({
          subject: expect.objectContaining({ runId: first.runId }),
          details: {
            stage: 'superseded',
            error: 'Gantry.Superseded',
            reason: expect.stringContaining(`superseded by run ${second.runId}`),
          },
        }),
      ]);
    });

    it("says on a superseded run's commit that it was superseded, and nothing more on a commit pushed again", async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const older = 'a'.repeat(40);
      const newer = 'c'.repeat(40);
      const first = await startRun(
        f.deps,
        planRequest(sourceEvent({ after: older, headSha: older }), 'push', superseding),
      );
      const second = await startRun(
        f.deps,
        planRequest(sourceEvent({ after: newer, headSha: newer }), 'push', superseding),
      );
      const last = (sha: string) => f.statuses.posted.filter((s) => s.commit === sha).at(-1);
      expect(last(older)).toMatchObject({
        state: 'error',
        context: first.status.context,
        description: expect.stringContaining(`Superseded by run ${second.runId}`),
      });
      expect(last(newer)).toMatchObject({ state: 'pending', context: second.status.context });
      // The same commit again: its newer run's pending is the last word, with no error before it.
      const third = await startRun(
        f.deps,
        planRequest(sourceEvent({ after: newer, headSha: newer }), 'push', superseding),
      );
      expect(await f.runs.get(second.runId)).toMatchObject({ status: 'CANCELLED', cancelledBy: third.runId });
      expect(f.statuses.posted.filter((s) => s.commit === newer).map((s) => s.state)).toEqual(['pending', 'pending']);
    });

    it('says it was superseded on a commit whose run a newer one superseded while it was being planned', async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const older = 'a'.repeat(40);
      const newer = 'c'.repeat(40);
      // The newer run's ResolvePlan runs between the older one's record and its pending status.
      const report = f.statuses.report.bind(f.statuses);
      let raced = false;
      f.statuses.report = async (status) => {
        if (!raced && status.commit === older && status.state === 'pending') {
          raced = true;
          await startRun(f.deps, planRequest(sourceEvent({ after: newer, headSha: newer }), 'push', superseding));
        }
        return report(status);
      };
      const first = await startRun(
        f.deps,
        planRequest(sourceEvent({ after: older, headSha: older }), 'push', superseding),
      );
      expect(raced).toBe(true);
      expect((await f.runs.get(first.runId))?.status).toBe('CANCELLED');
      expect(f.statuses.posted.filter((s) => s.commit === older).map((s) => s.state)).toEqual([
        'error',
        'pending',
        'error',
      ]);
    });

    it('says it was cancelled on a commit whose run an operator cancelled while it was being planned', async () => {
      const sha = 'a'.repeat(40);
      const report = f.statuses.report.bind(f.statuses);
      let raced: string | undefined;
      f.statuses.report = async (status) => {
        if (raced === undefined && status.commit === sha && status.state === 'pending') {
          // The operator's cancel, and the status its rule posts, land before this pending.
          const runId = (await f.runs.list({ limit: 5 })).find((r) => r.commit === sha)?.runId ?? '';
          raced = runId;
          await f.runs.setStatus(runId, 'CANCELLED', f.now, { cancelledBy: 'olga' });
          await report({ ...status, state: 'error', description: 'cancelled by olga' });
        }
        return report(status);
      };
      await startRun(f.deps, planRequest(sourceEvent({ after: sha, headSha: sha })));
      expect(raced).toBeDefined();
      expect(f.statuses.posted.filter((s) => s.commit === sha).map((s) => [s.state, s.description])).toEqual([
        ['error', 'cancelled by olga'],
        ['pending', expect.any(String)],
        ['error', 'cancelled by olga'],
      ]);
    });

    it('stops a superseded run and its deployment even when the ledger cannot take its end', async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const first = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      await openedDeployment(f.runs, first.runId, f.now, 'd-ABC123');
      const stopped: string[] = [];
      const deployments = { stopDeployment: async (id: string) => void stopped.push(id) };
      f.audit.failing = true;
      await expect(
        startRun({ ...f.deps, deployments }, planRequest(sourceEvent(), 'push', superseding)),
      ).rejects.toThrow('ledger unavailable');
      // Stopped before the ledger failed: nothing waits on the ledger to stop it.
      expect(f.executions.stopped).toEqual([{ executionArn: first.executionArn, error: 'Gantry.Superseded' }]);
      expect(stopped).toEqual(['d-ABC123']);
    });

    it('records a superseded run’s end when the step is retried after the ledger refused it', async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const first = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      const request = planRequest(sourceEvent(), 'push', superseding);
      f.audit.failing = true;
      await expect(startRun(f.deps, request)).rejects.toThrow('ledger unavailable');
      expect((await f.runs.get(first.runId))?.status).toBe('CANCELLED');
      f.audit.failing = false;
      // The retry no longer finds the older run active: it finds it cancelled by this very run.
      const second = await startRun(f.deps, request);
      expect(f.audit.records.filter((r) => r.type === 'run.failed')).toEqual([
        expect.objectContaining({
          subject: expect.objectContaining({ runId: first.runId }),
          details: expect.objectContaining({ reason: expect.stringContaining(`superseded by run ${second.runId}`) }),
        }),
      ]);
    });

    it('never supersedes an operator’s rollback: the change waits for it instead', async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const base = resolvePlan(planRequest(sourceEvent(), 'push', superseding));
      const rollback = {
        ...base,
        runId: 'rollback-1',
        executionArn: `${base.executionArn}-rb`,
        trigger: 'rollback' as const,
      };
      await enterLane(f.deps, rollback.lane, rollback.runId);
      await f.runs.create(rollback, 'RUNNING', f.now);
      const change = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      expect(change.waitForTurn).toBe(true);
      expect((await f.runs.get('rollback-1'))?.status).toBe('RUNNING');
      expect(f.executions.stopped).toEqual([]);
    });

    it('goes no further when a retried ResolvePlan finds its run already ended', async () => {
      const request = planRequest(sourceEvent());
      const started = await startRun(f.deps, request);
      await f.runs.setStatus(started.runId, 'CANCELLED', f.now);
      await expect(startRun(f.deps, request)).rejects.toMatchObject({ name: 'Gantry.RunEnded' });
    });

    it('does not take a lane from a run that took it and is being recorded', async () => {
      const request = planRequest(sourceEvent());
      const plan = resolvePlan(request);
      expect(await enterLane(f.deps, plan.lane, 'being-recorded')).toBe(true);
      const other = await startRun(f.deps, planRequest(sourceEvent()));
      expect(other.waitForTurn).toBe(true);
      // Long after, a holder that was never recorded has let go.
      f.now = new Date(f.now.getTime() + 10 * 60_000);
      const later = await startRun(f.deps, planRequest(sourceEvent({ branch: 'develop' })));
      expect(later.waitForTurn).toBe(false);
    });

    it('stops the deployment an older run has under way when it supersedes it (CodeDeploy rolls it back)', async () => {
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const first = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      await openedDeployment(f.runs, first.runId, f.now, 'd-ABC123');
      const stopped: string[] = [];
      const deployments = { stopDeployment: async (id: string) => void stopped.push(id) };
      await startRun({ ...f.deps, deployments }, planRequest(sourceEvent(), 'push', superseding));
      expect(stopped).toEqual(['d-ABC123']);
    });
  });

  describe('late deliveries of older pushes', () => {
    const A = 'a'.repeat(40);
    const B = 'b'.repeat(40);
    const C = 'c'.repeat(40);
    const D = 'd'.repeat(40);
    const short = (sha: string) => sha.slice(0, 12);
    const policies = ['superseded', 'queued'] as const;

    /** The delivery of a push that moved `branch` (develop) from `before` (null: created it) to `after`. */
    function push(before: string | null, after: string, branch = 'develop'): SourceEvent {
      const commit = {
        id: after,
        message: 'Change',
        author: { name: 'Alice', email: 'alice@example.com' },
        timestamp: null,
      };
      return sourceEvent({
        ref: `refs/heads/${branch}`,
        branch,
        before: before ?? '0'.repeat(40),
        after,
        headSha: after,
        created: before === null,
        commits: [{ ...commit, committer: commit.author }],
      });
    }

    /** Starts the run of a push under `concurrency`. */
    const start = (source: SourceEvent, concurrency: PipelineDefinition['concurrency'] = 'queued') =>
      startRun(f.deps, planRequest(source, 'push', { ...DEFINITION, concurrency }));

    /** Starts the run of a push a second after the one before: runs are recorded in that order. */
    const later = (source: SourceEvent) => {
      f.now = new Date(f.now.getTime() + 1000);
      return start(source);
    };

    it.each(policies)(
      'skips a late A→B delivered after B→C as stale, cancelling nothing and leaving the newer run alone (%s)',
      async (concurrency) => {
        const current = await start(push(B, C), concurrency);
        const late = await start(push(A, B), concurrency);
        expect(late).toMatchObject({ skip: true, waitForTurn: false, commit: B });
        expect(late.skipReason).toContain(`stale push: refs/heads/develop moved ${short(A)}→${short(B)}`);
        expect(late.skipReason).toContain(`run ${current.runId} already recorded a newer push`);
        expect(late.skipReason).toContain('`gantry runs retry`');
        // The late push has no run, took no lane and stopped nothing: the newer run goes on as it was.
        expect(await f.runs.get(late.runId)).toBeUndefined();
        const newer = await f.runs.get(current.runId);
        expect(newer).toMatchObject({ status: 'RUNNING' });
        expect(newer?.cancelledBy).toBeUndefined();
        expect((await f.runs.laneHolder('widgets#dev'))?.runId).toBe(current.runId);
        expect(f.executions.stopped).toEqual([]);
        expect(f.statuses.posted).toHaveLength(1);
        // The ledger says what happened, as every skip is recorded.
        expect(f.audit.records.map((r) => [r.type, r.subject.runId])).toEqual([
          ['run.started', current.runId],
          ['run.skipped', late.runId],
        ]);
        expect(f.audit.records[1]).toMatchObject({
          subject: { runId: late.runId, commit: B, environment: 'dev' },
          details: { trigger: 'push', pullRequest: null, reason: late.skipReason },
          correlationId: late.change.deliveryId,
        });
      },
    );

    it('skips a late push even once the newer push’s run has ended: it would still release an older commit', async () => {
      const current = await start(push(B, C));
      await reportSuccess(current);
      const late = await start(push(A, B));
      expect(late.skip).toBe(true);
      expect(await f.runs.list({ lane: 'widgets#dev' })).toHaveLength(1);
    });

    it.each(policies)(
      'runs a branch moved A→B, back B→A, then A→B again: the third push is current (%s)',
      async (concurrency) => {
        const first = await start(push(A, B), concurrency);
        const back = await start(push(B, A), concurrency);
        const again = await start(push(A, B), concurrency);
        expect([first.skip, back.skip, again.skip]).toEqual([false, false, false]);
        expect(await f.runs.get(again.runId)).toMatchObject({
          status: concurrency === 'queued' ? 'QUEUED' : 'RUNNING',
        });
        if (concurrency === 'superseded')
          expect(await f.runs.get(back.runId)).toMatchObject({ status: 'CANCELLED', cancelledBy: again.runId });
      },
    );

    it('still skips the late one when a branch that moved back and forth then moved on', async () => {
      await start(push(A, B));
      await start(push(B, A));
      const current = await start(push(B, C));
      // A→B again happened before B→C, and is delivered after it.
      const late = await start(push(A, B));
      expect(late.skip).toBe(true);
      expect(late.skipReason).toContain(`run ${current.runId} already recorded a newer push`);
    });

    it.each(policies)(
      'leaves a normal sequence of pushes alone, and another branch of the lane too (%s)',
      async (concurrency) => {
        const runs = [
          await start(push(A, B), concurrency),
          await start(push(B, C), concurrency),
          await start(push(C, D), concurrency),
          // release/1.0 and release/2.0 share the prod lane; a move of one says nothing of the other.
          await start(push(B, C, 'release/1.0'), concurrency),
          await start(push(A, B, 'release/2.0'), concurrency),
        ];
        expect(runs.map((r) => r.skip)).toEqual([false, false, false, false, false]);
        expect(f.audit.records.filter((r) => r.type === 'run.skipped')).toEqual([]);
      },
    );

    it('runs a push it cannot tell is stale: one that creates its branch, or to a commit the branch also reached another way', async () => {
      await start(push(B, C));
      // The branch may have been deleted (which leaves no run) and created again at B.
      expect((await start(push(null, B))).skip).toBe(false);
      // The branch came to B from D too: it may have left B before A→B brought it back.
      await start(push(D, B));
      expect((await start(push(A, B))).skip).toBe(false);
    });

    it('runs a push onto a branch deleted and created again since the newer push (a deletion leaves no run)', async () => {
      await later(push(A, B));
      await later(push(B, C));
      // develop deleted (no run), created again at A, then B pushed onto it: a current push.
      await later(push(null, A));
      const again = await later(push(A, B));
      expect(again.skip).toBe(false);
    });

    it('runs a push from the commit its branch was created at, whatever order the deliveries came in', async () => {
      // Created at A, then B→C recorded, then A→B: a late A→B (created, A→B, B→C) or a current one
      // (B→C, deleted, created at A, A→B, the creation's delivery first) read the same.
      await later(push(null, A));
      await later(push(B, C));
      await expect(later(push(A, B))).resolves.toMatchObject({ skip: false });
    });

    it('still skips a late push when the branch was created at another commit', async () => {
      await later(push(null, D));
      await later(push(B, C));
      await expect(later(push(A, B))).resolves.toMatchObject({ skip: true });
    });

    it('goes on with a run already recorded when its ResolvePlan is retried after a newer push', async () => {
      const request = planRequest(push(A, B));
      const recorded = await startRun(f.deps, request);
      await start(push(B, C));
      // The recorded run holds the lane: skipping it now would leave it holding the lane for ever.
      await expect(startRun(f.deps, request)).resolves.toMatchObject({ runId: recorded.runId, skip: false });
    });

    it('skips a late move of a tag, told by the tag objects the deliveries name, not the commits', async () => {
      const tagPush = (before: string, after: string, commit: string) =>
        sourceEvent({ ref: 'refs/tags/v1.0', branch: null, tag: 'v1.0', before, after, headSha: commit });
      // Annotated tags: the ref moves between tag objects (1…, 2…, 3…), each naming a commit.
      const [t1, t2, t3] = ['1', '2', '3'].map((c) => c.repeat(40)) as [string, string, string];
      const current = await startRun(f.deps, planRequest(tagPush(t2, t3, D), 'tag'));
      const late = await startRun(f.deps, planRequest(tagPush(t1, t2, C), 'tag'));
      expect(late).toMatchObject({ skip: true, commit: C });
      expect(late.skipReason).toContain(`stale tag: refs/tags/v1.0 moved ${short(t1)}→${short(t2)}`);
      expect((await f.runs.get(current.runId))?.status).toBe('RUNNING');
    });
  });

  describe('the sweep', () => {
    const later = (minutes: number) => new Date(f.now.getTime() + minutes * 60_000);

    it('closes a run whose execution ended without closing it, records it, and hands its lane on', async () => {
      const stopped = await startRun(f.deps, planRequest(sourceEvent()));
      const queued = await startRun(f.deps, planRequest(sourceEvent()));
      await waitForTurn(f.deps, queued, 'queued-token', queued.executionArn);
      f.executions.statuses.set(stopped.executionArn, 'ABORTED');
      f.executions.statuses.set(queued.executionArn, 'RUNNING');
      f.audit.records.length = 0;
      f.now = later(10);
      const outcome = await sweepRuns(f.deps);
      expect(outcome).toEqual({
        checked: 2,
        closed: [
          {
            runId: stopped.runId,
            lane: 'widgets#dev',
            reason: 'its execution ended ABORTED without closing the run; the sweeper closed it',
          },
        ],
        unsaid: 0,
      });
      expect(await f.runs.get(stopped.runId)).toMatchObject({
        status: 'FAILED',
        failure: { error: 'Gantry.Reconciled' },
      });
      expect(f.audit.records.map((r) => [r.type, r.subject.runId])).toEqual([['run.failed', stopped.runId]]);
      expect(f.executions.successes).toEqual([{ token: 'queued-token', output: { admitted: true } }]);
      expect((await f.runs.laneHolder('widgets#dev'))?.runId).toBe(queued.runId);
      // A second sweep finds nothing to fix.
      await expect(sweepRuns(f.deps)).resolves.toMatchObject({ closed: [] });
    });

    it('finishes, at its next pass, a close whose ledger record or announcement failed, each said once', async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      const queued = await startRun(
        f.deps,
        planRequest(sourceEvent({ after: 'c'.repeat(40), headSha: 'c'.repeat(40) })),
      );
      f.executions.statuses.set(run.executionArn, 'ABORTED');
      f.executions.statuses.set(queued.executionArn, 'RUNNING');
      f.audit.records.length = 0;
      f.audit.failing = true;
      f.now = later(10);
      await expect(sweepRuns(f.deps)).resolves.toMatchObject({ closed: [{ runId: run.runId }] });
      // Closed and its lane handed on, but nothing said: no endedAt yet.
      expect(await f.runs.get(run.runId)).toMatchObject({ status: 'FAILED', failure: { error: 'Gantry.Reconciled' } });
      expect((await f.runs.get(run.runId))?.endedAt).toBeUndefined();
      expect((await f.runs.laneHolder('widgets#dev'))?.runId).not.toBe(run.runId);
      expect(f.audit.records).toEqual([]);
      // The ledger is back, the bus refuses: recorded, not yet announced, and counted for its alarm.
      f.audit.failing = false;
      f.bus.failWith = 'InternalFailure';
      await expect(sweepRuns(f.deps)).resolves.toMatchObject({ unsaid: 1 });
      expect(f.audit.records.map((r) => [r.type, r.subject.runId])).toEqual([['run.failed', run.runId]]);
      expect((await f.runs.get(run.runId))?.endedAt).toBeUndefined();
      // Both back: announced (its rule posts the commit's status), and finished for good.
      f.bus.failWith = undefined;
      await expect(sweepRuns(f.deps)).resolves.toMatchObject({ unsaid: 0 });
      expect(f.bus.published.filter((e) => e.detailType === 'Run Failed')).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ runId: run.runId }) }),
      ]);
      expect((await f.runs.get(run.runId))?.endedAt).toBe(f.now.toISOString());
      await sweepRuns(f.deps);
      expect(f.audit.records).toHaveLength(1);
      expect(f.bus.published.filter((e) => e.detailType === 'Run Failed')).toHaveLength(1);
    });

    it('hands lanes on and counts what it closed even when the read for unsaid closes fails', async () => {
      const stopped = await startRun(f.deps, planRequest(sourceEvent()));
      const queued = await startRun(f.deps, planRequest(sourceEvent()));
      await waitForTurn(f.deps, queued, 'queued-token', queued.executionArn);
      f.executions.statuses.set(stopped.executionArn, 'ABORTED');
      f.executions.statuses.set(queued.executionArn, 'RUNNING');
      const list = f.runs.list.bind(f.runs);
      f.runs.list = async (query) => {
        if (query.status === 'FAILED') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return list(query);
      };
      f.now = later(10);
      await expect(sweepRuns(f.deps)).resolves.toMatchObject({ closed: [{ runId: stopped.runId }], unsaid: 0 });
      expect(f.executions.successes).toEqual([{ token: 'queued-token', output: { admitted: true } }]);
    });

    it('says a close once in a pass, even when the status index does not show its endedAt yet', async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      f.executions.statuses.set(run.executionArn, 'ABORTED');
      f.now = later(10);
      // An index read that lags the close: the run FAILED, without its endedAt.
      const list = f.runs.list.bind(f.runs);
      f.runs.list = async (query) =>
        (await list(query)).map((r) => (query.status === 'FAILED' ? { ...r, endedAt: undefined } : r));
      await sweepRuns(f.deps);
      expect(f.bus.published.filter((e) => e.detailType === 'Run Failed')).toHaveLength(1);
    });

    it('finishes an unsaid close of an old run, however many newer runs failed since', async () => {
      const old = await startRun(f.deps, planRequest(sourceEvent({ branch: 'main', ref: 'refs/heads/main' })));
      f.executions.statuses.set(old.executionArn, 'ABORTED');
      f.now = later(60 * 24);
      f.audit.failing = true;
      await sweepRuns(f.deps);
      expect((await f.runs.get(old.runId))?.endedAt).toBeUndefined();
      f.audit.failing = false;
      // Sixty runs created and failed since, as a busy day leaves them.
      for (let i = 0; i < 60; i++) {
        const sha = i.toString(16).padStart(40, '0');
        const plan = resolvePlan(planRequest(sourceEvent({ after: sha, headSha: sha })));
        await f.runs.create(plan, 'RUNNING', new Date(f.now.getTime() + i * 1000));
        await f.runs.setStatus(plan.runId, 'FAILED', f.now, { endedAt: f.now.toISOString() }, ['RUNNING']);
      }
      await sweepRuns(f.deps);
      expect(f.audit.records.filter((r) => r.type === 'run.failed' && r.subject.runId === old.runId)).toHaveLength(1);
      expect((await f.runs.get(old.runId))?.endedAt).toBeDefined();
    });

    it('checks every run even when Step Functions refuses to describe one of them', async () => {
      const refused = await startRun(f.deps, planRequest(sourceEvent()));
      const gone = await startRun(f.deps, planRequest(sourceEvent({ branch: 'main', ref: 'refs/heads/main' })));
      f.executions.statuses.set(gone.executionArn, 'FAILED');
      const describe = f.executions.executionStatus.bind(f.executions);
      f.executions.executionStatus = async (arn: string) => {
        if (arn === refused.executionArn) throw Object.assign(new Error('no'), { name: 'AccessDeniedException' });
        return describe(arn);
      };
      f.now = later(10);
      const outcome = await sweepRuns(f.deps);
      expect(outcome.closed.map((c) => c.runId)).toEqual([gone.runId]);
      expect((await f.runs.get(refused.runId))?.status).toBe('RUNNING');
    });

    it('leaves running executions alone, and gives a run just recorded time for its execution to start', async () => {
      const running = await startRun(f.deps, planRequest(sourceEvent()));
      f.executions.statuses.set(running.executionArn, 'RUNNING');
      const fresh = await startRun(f.deps, planRequest(sourceEvent({ branch: 'main', ref: 'refs/heads/main' })));
      f.now = later(2);
      await expect(sweepRuns(f.deps)).resolves.toEqual({ checked: 2, closed: [], unsaid: 0 });
      f.now = later(10);
      const outcome = await sweepRuns(f.deps);
      expect(outcome.closed.map((c) => [c.runId, c.reason])).toEqual([
        [fresh.runId, 'its execution never started; the sweeper closed it'],
      ]);
      expect((await f.runs.get(running.runId))?.status).toBe('RUNNING');
    });
  });

  describe('ReportStatus of a run that ended without reaching it (the bus hands over its id only)', () => {
    const later = (minutes: number) => new Date(f.now.getTime() + minutes * 60_000);
    const lastStatus = (runId: string) => f.statuses.posted.filter((s) => s.targetUrl?.includes(runId)).at(-1);

    it("posts `error` on an operator-cancelled run's commit, in the record's words", async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      await f.runs.setStatus(run.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      await reportEnded(f.deps, run.runId);
      expect(lastStatus(run.runId)).toMatchObject({
        state: 'error',
        description: 'cancelled by olga',
        context: run.status.context,
        commit: run.commit,
      });
      // A replay says the same again.
      await reportEnded(f.deps, run.runId);
      expect(f.statuses.posted.slice(-2).map((s) => [s.state, s.description])).toEqual([
        ['error', 'cancelled by olga'],
        ['error', 'cancelled by olga'],
      ]);
    });

    it('fails, so that Lambda retries and then dead-letters the event, when the provider does not take the status', async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      await f.runs.setStatus(run.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      const report = f.statuses.report.bind(f.statuses);
      f.statuses.report = async () => {
        throw new Error('503 from the provider');
      };
      await expect(reportEnded(f.deps, run.runId)).rejects.toThrow(
        `the provider did not take the commit status of run ${run.runId} (CANCELLED)`,
      );
      expect(lastStatus(run.runId)).toMatchObject({ state: 'pending' });
      // The redrive, once the provider answers again, posts what the first try could not.
      f.statuses.report = report;
      await reportEnded(f.deps, run.runId);
      expect(lastStatus(run.runId)).toMatchObject({ state: 'error', description: 'cancelled by olga' });
    });

    it('only logs a refusal no retry changes (a commit the provider does not know), and sends nothing to the dead letters', async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      await f.runs.setStatus(run.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      f.statuses.report = async () => ({ posted: false, retryLater: false });
      await expect(reportEnded(f.deps, run.runId)).resolves.toBeUndefined();
      f.statuses.report = async () => ({ posted: false, retryLater: true });
      await expect(reportEnded(f.deps, run.runId)).rejects.toThrow('the provider did not take the commit status');
    });

    it("posts `error` on the commit of a run the sweep closed, with the sweep's reason", async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      f.executions.statuses.set(run.executionArn, 'ABORTED');
      f.now = later(10);
      await sweepRuns(f.deps);
      // The sweep's announcement is what the rule turns into this call.
      expect(f.bus.published.at(-1)).toMatchObject({
        detailType: 'Run Failed',
        detail: { runId: run.runId, failure: { error: 'Gantry.Reconciled' } },
      });
      await reportEnded(f.deps, run.runId);
      expect(lastStatus(run.runId)).toMatchObject({
        state: 'error',
        description: 'its execution ended ABORTED without closing the run; the sweeper closed it',
        context: run.status.context,
      });
    });

    it.each(['RUNNING', 'SUCCEEDED', 'FAILED'] as const)(
      'posts nothing for a forged event naming a %s run',
      async (status) => {
        const run = await startRun(f.deps, planRequest(sourceEvent()));
        if (status === 'SUCCEEDED') await reportSuccess(run);
        if (status === 'FAILED')
          await recordFailure(f.deps, run, 'build', { Error: 'States.TaskFailed' }, run.executionArn);
        expect((await f.runs.get(run.runId))?.status).toBe(status);
        const before = f.statuses.posted.length;
        await reportEnded(f.deps, run.runId);
        expect(f.statuses.posted).toHaveLength(before);
        expect((await f.runs.get(run.runId))?.status).toBe(status);
      },
    );

    it("posts nothing over a newer run of the same commit: a late or replayed end of the old run can't turn it red", async () => {
      const run = await startRun(f.deps, planRequest(sourceEvent()));
      await f.runs.setStatus(run.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      await reportEnded(f.deps, run.runId);
      expect(lastStatus(run.runId)).toMatchObject({ state: 'error' });
      // A retry of the commit reports on the same commit and context from now on.
      f.now = later(1);
      const retry = await startRun(f.deps, planRequest(sourceEvent()));
      expect([retry.commit, retry.status.context]).toEqual([run.commit, run.status.context]);
      const before = f.statuses.posted.length;
      await reportEnded(f.deps, run.runId);
      expect(f.statuses.posted).toHaveLength(before);
    });

    it('posts nothing over a newer run of the same commit and context in another lane (two pull requests of one head)', async () => {
      const pr = (number: number) => pullRequestEvent(number);
      const first = await startRun(f.deps, planRequest(pr(12), 'pull_request'));
      f.now = later(1);
      const second = await startRun(f.deps, planRequest(pr(13), 'pull_request'));
      expect([first.lane, second.lane]).toEqual(['widgets#pr:12', 'widgets#pr:13']);
      expect(second.status.context).toBe(first.status.context);
      await f.runs.setStatus(first.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
      const before = f.statuses.posted.length;
      await reportEnded(f.deps, first.runId);
      expect(f.statuses.posted).toHaveLength(before);
    });

    it('posts nothing for a run nobody recorded, nor for a superseded one (ResolvePlan reported it)', async () => {
      await reportEnded(f.deps, 'no-such-run');
      const superseding = { ...DEFINITION, concurrency: 'superseded' as const };
      const older = await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      await startRun(f.deps, planRequest(sourceEvent(), 'push', superseding));
      expect((await f.runs.get(older.runId))?.status).toBe('CANCELLED');
      const before = [...f.statuses.posted];
      await reportEnded(f.deps, older.runId);
      expect(f.statuses.posted).toEqual(before);
    });
  });

  describe('failures', () => {
    it('names the failed build phase from the CodeBuild .sync cause', () => {
      const plan = resolvePlan(planRequest(sourceEvent()));
      const cause = JSON.stringify({
        BuildStatus: 'FAILED',
        Phases: [
          { PhaseType: 'INSTALL', PhaseStatus: 'SUCCEEDED' },
          {
            PhaseType: 'BUILD',
            PhaseStatus: 'FAILED',
            Contexts: [
              { Message: 'COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1' },
            ],
          },
        ],
      });
      expect(describeFailure(plan, 'build', { Error: 'States.TaskFailed', Cause: cause }).reason).toBe(
        'build FAILED in BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1',
      );
    });

    it('gives the reason a build-stage Lambda step gave: a source refusal as is, a thrown error by its message', () => {
      const plan = resolvePlan(planRequest(sourceEvent()));
      const refusal =
        'source not fetched through connection gl: HTTP 401. Fix: give secret gl an apiToken that can read acme/app';
      expect(describeFailure(plan, 'build', { Error: 'Gantry.Source.unauthorized', Cause: refusal }).reason).toBe(
        refusal,
      );
      const thrown = JSON.stringify({
        errorType: 'AccessDenied',
        errorMessage: 'Access Denied\n    at S3.put',
        trace: [],
      });
      expect(describeFailure(plan, 'build', { Error: 'AccessDenied', Cause: thrown }).reason).toBe(
        'AccessDenied: Access Denied',
      );
    });

    it.each([
      [
        'gates',
        { Error: 'Gantry.GatesFailed', Cause: '["line coverage 72.4% < 80%","2 tests failed"]' },
        'gates failed: line coverage 72.4% < 80%; 2 tests failed',
      ],
      [
        'approval',
        { Error: 'Gantry.ApprovalRejected', Cause: 'rejected by bob: not today' },
        'rejected by bob: not today',
      ],
      ['approval', { Error: 'States.Timeout' }, 'approval expired after 60 minutes'],
      ['plan', { Error: 'Lambda.Unknown', Cause: 'boom\nstack' }, 'waiting for its lane failed: boom'],
    ])('says what failed in %s', (stage, failure, reason) => {
      const plan = resolvePlan(planRequest(sourceEvent({ branch: 'release/1.0' })));
      expect(describeFailure(plan, stage, failure).reason).toBe(reason);
    });

    it('posts nothing and changes no run for an execution that does not own the run (a forged input)', async () => {
      const plan = resolvePlan(planRequest(sourceEvent()));
      await f.runs.create(plan, 'RUNNING', f.now);
      const forged = `${plan.executionArn}-forged`;
      const summary = await recordFailure(f.deps, plan, 'gates', { Error: 'Gantry.GatesFailed', Cause: '[]' }, forged);
      await finishRun(f.deps, plan, 'success', forged);
      expect(summary).toMatchObject({ stage: 'internal', error: 'Gantry.ForgedInput' });
      expect(f.statuses.posted).toEqual([]);
      expect((await f.runs.get(plan.runId))?.status).toBe('RUNNING');
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input').map((r) => r.details.step)).toEqual([
        'record-failure',
        'report-status',
      ]);
    });

    describe('ReportStatus says only what the run record says (a direct invoke names any outcome)', () => {
      /** ReportSuccess must refuse: nothing posted, no success recorded, the ledger says why. */
      async function expectNoSuccess(plan: RunPlan, reason: RegExp): Promise<void> {
        const posted = f.statuses.posted.length;
        await expect(finishRun(f.deps, plan, 'success', plan.executionArn)).rejects.toMatchObject({
          name: 'Gantry.ForgedInput',
          message: expect.stringMatching(reason),
        });
        expect(f.statuses.posted).toHaveLength(posted);
        expect(f.audit.records.filter((r) => r.type === 'run.succeeded')).toEqual([]);
        expect((await f.runs.get(plan.runId))?.status).not.toBe('SUCCEEDED');
        expect(f.audit.records.filter((r) => r.type === 'security.forged_input').at(-1)).toMatchObject({
          outcome: 'rejected',
          subject: expect.objectContaining({ runId: plan.runId }),
          details: { step: 'report-status', executionArn: plan.executionArn, reason: expect.stringMatching(reason) },
        });
      }

      /** The widgets pipeline with a gated environment that deploys nothing (approval only). */
      const APPROVE_ONLY = {
        ...DEFINITION,
        environments: DEFINITION.environments.map((e) => (e.name === 'prod' ? { ...e, deploy: null } : e)),
      };

      /** A release run of APPROVE_ONLY, recorded RUNNING with passing gates, its approval requested. */
      async function gatedRun(): Promise<RunPlan> {
        f.pipelines.deployed = APPROVE_ONLY;
        const plan = resolvePlan(planRequest(sourceEvent({ branch: 'release/1.0' }), 'push', APPROVE_ONLY));
        expect(plan.approval).not.toBeNull();
        await f.runs.create(plan, 'RUNNING', f.now);
        await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
        await f.runs.openApproval(
          plan.runId,
          { taskToken: 'approval-token', requestedAt: f.now.toISOString(), deadline: '2099-01-01T00:00:00Z' },
          f.now,
        );
        return plan;
      }

      async function approveAs(plan: RunPlan, identity: string): Promise<void> {
        const principal = `arn:aws:iam::123456789012:user/${identity}`;
        const at = f.now.toISOString();
        await f.runs.addDecision(plan.runId, { identity, principal, decision: 'approve', reason: 'ok', at }, f.now);
        await f.runs.closeApproval(plan.runId, 'approved', f.now);
      }

      it('no success for a run whose gates failed or were never evaluated', async () => {
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await expectNoSuccess(plan, /gates were never evaluated/);
        await f.runs.update(plan.runId, { gates: { passed: false, reasons: ['3 tests failed'], metrics: {} } }, f.now);
        await expectNoSuccess(plan, /gates failed \(3 tests failed\)/);
      });

      it('no success for a run that deploys but whose deployment did not succeed, or whose bake did not pass', async () => {
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
        await expectNoSuccess(plan, /deployment never started/);
        // The deploy stage says succeeded (any step may write stages), but DeployCheck never recorded the bake.
        await recordDeployed(plan.runId, { baked: false });
        await expectNoSuccess(plan, /has not passed its bake/);
      });

      it('no success for a run whose status a writer set to SUCCEEDED without the evidence', async () => {
        // Any function that may write the status (WaitTurn, the Slack route's decisions) could set it.
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
        await recordDeployed(plan.runId, { baked: false });
        await f.runs.setStatus(plan.runId, 'SUCCEEDED', f.now);
        const posted = f.statuses.posted.length;
        await expect(finishRun(f.deps, plan, 'success', plan.executionArn)).rejects.toMatchObject({
          name: 'Gantry.ForgedInput',
          message: expect.stringMatching(/has not passed its bake/),
        });
        expect(f.statuses.posted).toHaveLength(posted);
        expect(f.audit.records.filter((r) => r.type === 'run.succeeded')).toEqual([]);
      });

      it('no success, and no page, for a run an operator or a newer run cancelled as ReportSuccess began', async () => {
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await recordDeployed(plan.runId);
        await f.runs.setStatus(plan.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
        const posted = f.statuses.posted.length;
        await expect(finishRun(f.deps, plan, 'success', plan.executionArn)).resolves.toBeUndefined();
        expect(f.statuses.posted).toHaveLength(posted);
        expect((await f.runs.get(plan.runId))?.status).toBe('CANCELLED');
        expect(f.audit.records.filter((r) => r.type === 'run.succeeded' || r.type.startsWith('security.'))).toEqual([]);
        // Cancelled, but short of a success's evidence (no gates on record): still a forgery.
        const ungated = resolvePlan(planRequest(sourceEvent({ after: 'd'.repeat(40), headSha: 'd'.repeat(40) })));
        await f.runs.create(ungated, 'RUNNING', f.now);
        await f.runs.setStatus(ungated.runId, 'CANCELLED', f.now, { cancelledBy: 'olga' }, ['RUNNING']);
        await expectNoSuccess(ungated, /gates were never evaluated \(and it was CANCELLED by olga\)/);
        // Without a canceller on record, no cancel wrote it: still a forgery.
        const other = resolvePlan(planRequest(sourceEvent({ after: 'c'.repeat(40), headSha: 'c'.repeat(40) })));
        await f.runs.create(other, 'RUNNING', f.now);
        await recordDeployed(other.runId);
        await f.runs.setStatus(other.runId, 'CANCELLED', f.now, {}, ['RUNNING']);
        await expectNoSuccess(other, /is CANCELLED, not RUNNING/);
      });

      it('no success for a run that ended FAILED', async () => {
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await recordDeployed(plan.runId);
        await f.runs.setStatus(plan.runId, 'FAILED', f.now);
        await expectNoSuccess(plan, /is FAILED, not RUNNING/);
      });

      it('no success for an approval-only environment whose record says it was planned without approval', async () => {
        f.pipelines.deployed = APPROVE_ONLY;
        const planned = resolvePlan(planRequest(sourceEvent({ branch: 'release/1.0' }), 'push', APPROVE_ONLY));
        const plan = { ...planned, approval: null };
        await f.runs.create(plan, 'RUNNING', f.now);
        await f.runs.update(plan.runId, { gates: { passed: true, reasons: [], metrics: {} } }, f.now);
        await expectNoSuccess(
          plan,
          /requires 1 approval\(s\) as pipeline widgets is deployed now, but run .* was planned without approval/,
        );
      });

      it('no success for a run whose bake check sent traffic back after an earlier attempt noted the bake', async () => {
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await recordDeployed(plan.runId);
        await f.runs.noteTrafficBack(plan.runId, { requestedAt: f.now.toISOString(), reason: 'alarm' }, f.now);
        await expectNoSuccess(plan, /bake check sent traffic back/);
      });

      it('no success for an approval-only environment whose Approval token was answered by hand', async () => {
        const plan = await gatedRun();
        // SendTaskSuccess on the Approval token: the execution goes on to ReportSuccess, decide() never ran.
        await expectNoSuccess(plan, /requires 1 approval\(s\); run .* has 0 recorded \(still pending\)/);
      });

      it('no success when the only approver was removed from the group after deciding', async () => {
        const plan = await gatedRun();
        await approveAs(plan, 'bob');
        f.pipelines.deployed = {
          ...APPROVE_ONLY,
          environments: APPROVE_ONLY.environments.map((e) =>
            e.name === 'prod' ? { ...e, approvers: e.approvers.filter((a) => a.identity !== 'bob') } : e,
          ),
        };
        await expectNoSuccess(plan, /holds 0 by current approvers; bob no longer approve/);
      });

      it('success for an approval-only environment once decide() recorded the approval', async () => {
        const plan = await gatedRun();
        await approveAs(plan, 'bob');
        await finishRun(f.deps, plan, 'success', plan.executionArn);
        expect((await f.runs.get(plan.runId))?.status).toBe('SUCCEEDED');
        expect(f.statuses.posted.at(-1)).toMatchObject({ state: 'success' });
      });

      it('no failure for a run still running, and a failure only in the words the record holds', async () => {
        const plan = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(plan, 'RUNNING', f.now);
        await expect(finishRun(f.deps, plan, 'failure', plan.executionArn)).rejects.toMatchObject({
          name: 'Gantry.ForgedInput',
          message: expect.stringMatching(/is RUNNING: no failure is on its record/),
        });
        expect(f.statuses.posted).toEqual([]);
        expect(f.audit.records.map((r) => r.type)).toEqual(['security.forged_input']);
        // A run that already ended otherwise keeps its final word, and nobody is accused.
        const ended = resolvePlan(planRequest(sourceEvent()));
        await f.runs.create(ended, 'RUNNING', f.now);
        await f.runs.setStatus(ended.runId, 'SUCCEEDED', f.now);
        await finishRun(f.deps, ended, 'failure', ended.executionArn);
        expect(f.statuses.posted).toEqual([]);
        expect(f.audit.records.map((r) => r.type)).toEqual(['security.forged_input']);
        const failure = { stage: 'build', error: 'Gantry.BuildFailed', reason: 'build FAILED in BUILD' };
        await f.runs.setStatus(plan.runId, 'FAILED', f.now, { failure });
        await finishRun(f.deps, plan, 'failure', plan.executionArn);
        expect(f.statuses.posted.at(-1)).toMatchObject({ state: 'failure', description: 'build FAILED in BUILD' });
        expect(f.audit.records.find((r) => r.type === 'run.failed')?.details).toEqual(failure);
      });
    });

    it('reports no success for a queued run whose lane token someone answered by hand, and fails it', async () => {
      const first = await startRun(f.deps, planRequest(sourceEvent()));
      const second = await startRun(f.deps, planRequest(sourceEvent()));
      await waitForTurn(f.deps, second, 'lane-token', second.executionArn);
      const posted = f.statuses.posted.length;
      // SendTaskSuccess with the token from the execution's history: the execution goes on to ReportSuccess.
      await expect(finishRun(f.deps, second, 'success', second.executionArn)).rejects.toMatchObject({
        name: 'Gantry.ForgedInput',
        message: expect.stringContaining('is QUEUED, not RUNNING'),
      });
      expect(f.statuses.posted).toHaveLength(posted);
      expect(f.audit.records.filter((r) => r.type === 'run.succeeded')).toEqual([]);
      expect(f.audit.records.filter((r) => r.type === 'security.forged_input')).toEqual([
        expect.objectContaining({
          subject: expect.objectContaining({ runId: second.runId }),
          details: expect.objectContaining({ step: 'report-status', executionArn: second.executionArn }),
        }),
      ]);
      // The failure path then closes it FAILED with the reason, and the lane stays with the first run.
      const failure = {
        Error: 'Gantry.ForgedInput',
        Cause: JSON.stringify({ errorMessage: 'lane token answered by hand' }),
      };
      await recordFailure(f.deps, second, 'report', failure, second.executionArn);
      expect((await f.runs.get(second.runId))?.status).toBe('FAILED');
      expect((await f.runs.get(first.runId))?.status).toBe('RUNNING');
    });

    it('closes the run a failed ResolvePlan recorded for this very execution, and no one else’s', async () => {
      const started = await startRun(f.deps, planRequest(sourceEvent()));
      const failure = { Error: 'Lambda.Unknown', Cause: 'Task timed out after 30.00 seconds' };
      f.audit.records.length = 0;
      await expect(
        closeUnplanned(f.deps, started.runId, failure, `${started.executionArn}-other`),
      ).resolves.toMatchObject({
        plan: null,
      });
      expect((await f.runs.get(started.runId))?.status).toBe('RUNNING');
      await expect(closeUnplanned(f.deps, 'never-recorded', failure, started.executionArn)).resolves.toMatchObject({
        plan: null,
      });

      const closed = await closeUnplanned(f.deps, started.runId, failure, started.executionArn);
      expect(closed.plan?.runId).toBe(started.runId);
      const reason = 'the run could not be planned: Task timed out after 30.00 seconds';
      expect(await f.runs.get(started.runId)).toMatchObject({ status: 'FAILED', failure: { stage: 'plan', reason } });
      expect(f.statuses.posted.at(-1)).toMatchObject({ state: 'error', description: reason });
      expect(f.audit.records.map((r) => [r.type, r.details])).toEqual([
        ['run.failed', { stage: 'plan', error: 'Lambda.Unknown', reason }],
      ]);
      // A retried close changes nothing and records nothing twice.
      await closeUnplanned(f.deps, started.runId, failure, started.executionArn);
      expect(f.audit.records).toHaveLength(1);
    });

    it('finishes a close the ledger refused when Step Functions retries it: the record is not lost', async () => {
      const started = await startRun(f.deps, planRequest(sourceEvent()));
      const failure = { Error: 'Lambda.Unknown', Cause: 'killed' };
      f.audit.records.length = 0;
      f.audit.failing = true;
      await expect(closeUnplanned(f.deps, started.runId, failure, started.executionArn)).rejects.toThrow(/ledger/);
      expect((await f.runs.get(started.runId))?.status).toBe('FAILED');
      f.audit.failing = false;
      await closeUnplanned(f.deps, started.runId, failure, started.executionArn);
      await closeUnplanned(f.deps, started.runId, failure, started.executionArn);
      expect(f.audit.records.map((r) => r.type)).toEqual(['run.failed']);
      expect((await f.runs.get(started.runId))?.stages.plan?.status).toBe('failed');
    });

    it("believes a queued run's lane timeout only when Step Functions timed WaitTurn out, and labels a forged one as the plan stage", async () => {
      const plan = resolvePlan(planRequest(sourceEvent()));
      await f.runs.create(plan, 'QUEUED', f.now);
      f.executions.taskEnds.set(`${plan.executionArn} WaitTurn`, 'failed');
      const summary = await recordFailure(f.deps, plan, 'plan', { Error: 'States.Timeout' }, plan.executionArn);
      expect(summary).toMatchObject({ stage: 'plan', error: 'Gantry.ForgedInput' });
      expect(summary.reason).toContain('the WaitTurn task of run');
      const run = await f.runs.get(plan.runId);
      expect(run?.stages.plan?.status).toBe('failed');
      expect(run?.stages.approval).toBeUndefined();
      expect(f.audit.records.map((r) => r.type)).toEqual(['security.forged_input']);
    });

    it('says a queued run gave up waiting for its lane, naming the lane', () => {
      const plan = resolvePlan(planRequest(sourceEvent()));
      expect(describeFailure(plan, 'plan', { Error: 'States.Timeout' })).toEqual({
        stage: 'plan',
        error: 'States.Timeout',
        reason:
          "gave up waiting for its lane (widgets#dev): the runs ahead of it took longer than this pipeline's longest run",
      });
    });

    it('records a failure on the run and reports it on the commit', async () => {
      const plan = resolvePlan(planRequest(sourceEvent()));
      await f.runs.create(plan, 'RUNNING', f.now);
      await recordFailure(
        f.deps,
        plan,
        'gates',
        {
          Error: 'Gantry.GatesFailed',
          Cause: '["line coverage 50% < 80%"]',
        },
        plan.executionArn,
      );
      await finishRun(f.deps, plan, 'failure', plan.executionArn);
      expect(await f.runs.get(plan.runId)).toMatchObject({
        status: 'FAILED',
        failure: { stage: 'gates', reason: 'gates failed: line coverage 50% < 80%' },
      });
      expect(f.statuses.posted.at(-1)).toMatchObject({
        state: 'failure',
        description: 'gates failed: line coverage 50% < 80%',
      });
      expect(f.audit.records.map((r) => r.type)).toEqual(['run.failed']);
    });
  });
});
