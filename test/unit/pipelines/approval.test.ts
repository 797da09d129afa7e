import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type RunningDynalite, startDynalite } from '../../../local/dynamodb/dynalite';
import { DecisionError, decide, requestApproval } from '../../../shared/pipelines/approval';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { createRunsTable } from '../../support/aws';
import { type PipelineFakes, pipelineFakes } from '../../support/pipeline-fakes';
import { DEFINITION, planRequest, sourceEvent } from '../../support/plans';

const ARN = (who: string) => `arn:aws:iam::123456789012:user/${who}`;

async function refused(promise: Promise<unknown>): Promise<DecisionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DecisionError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('approvals', () => {
  let dynamo: RunningDynalite;
  let client: DynamoDBClient;
  let f: PipelineFakes;
  let table = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo.close();
  });

  /** A prod run, written by alice (who also pushed it), waiting for approval. */
  async function waitingRun(minApprovals = 1) {
    const name = `runs-${++table}`;
    client = await createRunsTable(dynamo.endpoint, name);
    f = pipelineFakes(client, name);
    const definition = {
      ...DEFINITION,
      environments: DEFINITION.environments.map((e) =>
        e.name === 'prod' ? { ...e, approval: { ...e.approval, minApprovals } } : e,
      ),
    };
    const plan = resolvePlan(
      planRequest(sourceEvent({ branch: 'release/1.0', ref: 'refs/heads/release/1.0' }), 'push', definition),
    );
    await f.runs.create(plan, 'RUNNING', f.now);
    await requestApproval(f.deps, plan, 'token-1');
    return plan;
  }

  it('parks the task token with the run and announces the request', async () => {
    const plan = await waitingRun();
    const run = await f.runs.get(plan.runId);
    expect(run?.approval).toMatchObject({ taskToken: 'token-1', deadline: '2026-11-23T11:00:00.000Z', decisions: {} });
    expect(run?.stages.approval?.status).toBe('waiting');
    expect(f.bus.published).toEqual([
      expect.objectContaining({ source: 'gantry.pipelines', detailType: 'Approval Requested' }),
    ]);
    expect(f.audit.records.map((r) => r.type)).toContain('approval.requested');
  });

  it('refuses the change’s own author or pusher (separation of duties), and nobody outside the groups', async () => {
    const plan = await waitingRun();
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('alice'), decision: 'approve', reason: 'mine' })),
    ).resolves.toMatchObject({ code: 'separation_of_duties', status: 403 });
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('mallory'), decision: 'approve', reason: 'hi' })),
    ).resolves.toMatchObject({ code: 'not_an_approver', status: 403 });
    expect(f.executions.successes).toEqual([]);
  });

  it('needs a reason for every decision', async () => {
    const plan = await waitingRun();
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: '   ' })),
    ).resolves.toMatchObject({ code: 'reason_required' });
  });

  it('resumes the run once enough different approvers agreed, and accepts one decision per person', async () => {
    const plan = await waitingRun(2);
    await expect(
      decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'ok' }),
    ).resolves.toEqual({ outcome: 'recorded', approvals: 1, needed: 2 });
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'again' })),
    ).resolves.toMatchObject({ code: 'already_decided' });
    expect(f.executions.successes).toEqual([]);
    await expect(
      decide(f.deps, { runId: plan.runId, principal: ARN('carol'), decision: 'approve', reason: 'ok too' }),
    ).resolves.toEqual({ outcome: 'approved' });
    expect(f.executions.successes).toEqual([
      { token: 'token-1', output: { approvedBy: expect.arrayContaining(['bob', 'carol']) } },
    ]);
    expect(f.audit.records.filter((r) => r.type === 'approval.granted').map((r) => r.actor.id)).toEqual([
      'bob',
      'carol',
    ]);
  });

  it('fails the waiting task when an approver rejects, and takes no decision after that', async () => {
    const plan = await waitingRun(2);
    await expect(
      decide(f.deps, {
        runId: plan.runId,
        principal: ARN('bob'),
        decision: 'reject',
        reason: 'no tests for the migration',
      }),
    ).resolves.toEqual({ outcome: 'rejected' });
    expect(f.executions.failures).toEqual([
      { token: 'token-1', error: 'Gantry.ApprovalRejected', cause: 'rejected by bob: no tests for the migration' },
    ]);
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('carol'), decision: 'approve', reason: 'late' })),
    ).resolves.toMatchObject({ code: 'already_decided' });
  });

  it('refuses decisions after the deadline and closes the request as expired', async () => {
    const plan = await waitingRun();
    f.now = new Date('2026-11-23T11:00:01.000Z');
    await expect(
      refused(decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'too late' })),
    ).resolves.toMatchObject({ code: 'expired', status: 410 });
    expect((await f.runs.get(plan.runId))?.approval?.outcome).toBe('expired');
    expect(f.executions.successes).toEqual([]);
  });

  it('resumes the run exactly once when two approvers decide at the same moment', async () => {
    const plan = await waitingRun(1);
    const outcomes = await Promise.allSettled([
      decide(f.deps, { runId: plan.runId, principal: ARN('bob'), decision: 'approve', reason: 'a' }),
      decide(f.deps, { runId: plan.runId, principal: ARN('carol'), decision: 'approve', reason: 'b' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(f.executions.successes).toHaveLength(1);
  });

  it('refuses a decision for a run that does not exist or is not waiting', async () => {
    const plan = await waitingRun();
    await expect(
      refused(decide(f.deps, { runId: 'nope', principal: ARN('bob'), decision: 'approve', reason: 'x' })),
    ).resolves.toMatchObject({ code: 'run_not_found', status: 404 });
    const devPlan = resolvePlan(planRequest(sourceEvent()));
    await f.runs.create(devPlan, 'RUNNING', f.now);
    await expect(
      refused(decide(f.deps, { runId: devPlan.runId, principal: ARN('bob'), decision: 'approve', reason: 'x' })),
    ).resolves.toMatchObject({ code: 'no_approval_pending' });
    expect(plan.approval).not.toBeNull();
  });
});
