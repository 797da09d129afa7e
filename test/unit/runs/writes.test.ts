import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writtenAttributes } from '../../../local/iam/requests';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { DynamoDbRunStore } from '../../../shared/runs/store';
import { attributesOf, RUN_CREATED, type RunWrite } from '../../../shared/runs/writes';
import { planRequest, sourceEvent } from '../../support/plans';

/**
 * IAM grants each function the kinds of run writes it makes (infra/constructs/runs-table.ts), by
 * the attributes RUN_WRITES lists. A store write naming an attribute outside its kind would be
 * refused in AWS (and by local IAM) the day it ships: each write is checked here against its kind.
 */
describe('each run-store write names only the attributes of its kind', () => {
  const sent: { operation: string; input: Record<string, unknown> }[] = [];
  const db = {
    send: async (command: { input: Record<string, unknown>; constructor: { name: string } }) => {
      const operation = { PutCommand: 'PutItem', UpdateCommand: 'UpdateItem' }[command.constructor.name] ?? '?';
      sent.push({ operation, input: command.input });
      return { Attributes: undefined };
    },
  } as unknown as DynamoDBDocumentClient;
  const store = new DynamoDbRunStore(db, 'gantry-runs');
  const at = new Date('2026-12-07T10:00:00.000Z');
  const attributesOfLast = async (write: () => Promise<unknown>) => {
    sent.length = 0;
    await write().catch(() => undefined);
    const [request] = sent;
    if (request === undefined) throw new Error('the store sent nothing');
    return writtenAttributes(request.operation, request.input) ?? [];
  };
  const deployment = {
    taskToken: 't',
    target: 'fn',
    strategy: 'AllAtOnce',
    fromVersion: null,
    toVersion: '2',
    status: 'in_progress' as const,
    startedAt: at.toISOString(),
  };

  it.each<[string, RunWrite[], () => Promise<unknown>]>([
    ['setStage', ['stages'], () => store.setStage('r', 'gates', { status: 'running', startedAt: 'x' }, at)],
    [
      'setStatus',
      ['status'],
      () => store.setStatus('r', 'FAILED', at, { endedAt: 'x', cancelledBy: 'bob' }, ['RUNNING', 'QUEUED']),
    ],
    ['update (gates)', ['gates'], () => store.update('r', { gates: { passed: true, reasons: [], metrics: {} } }, at)],
    ['update (provenance)', ['provenance'], () => store.update('r', { provenance: {} as never }, at)],
    ['update (laneToken)', ['lane'], () => store.update('r', { laneToken: 'tok' }, at)],
    [
      'openApproval',
      ['approval'],
      () => store.openApproval('r', { taskToken: 't', requestedAt: 'x', deadline: 'y' }, at),
    ],
    [
      'addDecision',
      ['approval'],
      () => store.addDecision('r', { identity: 'a', principal: 'p', decision: 'approve', reason: 'ok', at: 'x' }, at),
    ],
    ['closeApproval (approved)', ['approval'], () => store.closeApproval('r', 'approved', at)],
    ['closeApproval (expired)', ['approval'], () => store.closeApproval('r', 'expired', at)],
    ['openDeployment', ['deployment'], () => store.openDeployment('r', deployment, at)],
    ['setDeploymentId', ['deployment'], () => store.setDeploymentId('r', 'd-1', at)],
    ['noteTrafficBack', ['deployment'], () => store.noteTrafficBack('r', { requestedAt: 'x' }, at)],
    [
      'closeDeployment',
      ['deployment'],
      () => store.closeDeployment('r', { status: 'failed', reason: 'x', rolledBack: true, endedAt: 'x' }, at),
    ],
    ['requestStop', ['deployment'], () => store.requestStop('r', 'stop', at)],
    ['markDeploymentAnswered', ['deployment'], () => store.markDeploymentAnswered('r', at)],
    ['noteBaked', ['bake'], () => store.noteBaked('r', 3, at)],
    ['takeLane', ['lane'], () => store.takeLane('dev', 'r', at, { from: 'q' })],
    ['releaseLane', ['lane'], () => store.releaseLane('dev', 'r')],
  ])('%s writes only %j', async (_name, kinds, write) => {
    const named = await attributesOfLast(write);
    expect(named.length).toBeGreaterThan(1);
    expect(named.filter((a) => !attributesOf(kinds).includes(a))).toEqual([]);
  });

  it('creates a run with a new run’s attributes only', async () => {
    const plan = resolvePlan(planRequest(sourceEvent()));
    const named = await attributesOfLast(() => store.create(plan, 'RUNNING', at));
    expect(named).toEqual([...RUN_CREATED].sort());
  });
});
