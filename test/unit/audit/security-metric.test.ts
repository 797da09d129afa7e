import { jest } from '@jest/globals';
import type { AuditRecordInput } from '../../../events';
import { countingWatchedRecords } from '../../../shared/audit/security-metric';
import { observability } from '../../../shared/observability';
import { MemoryAudit } from '../../support/receiver-fakes';

type Line = Record<string, unknown> & {
  _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

let lines: Line[];

beforeAll(() => {
  Object.assign(process.env, { POWERTOOLS_SERVICE_NAME: 'deploy-events', POWERTOOLS_METRICS_NAMESPACE: 'Gantry' });
});

beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr])
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l) as Line);
      return true;
    });
});

afterEach(() => jest.restoreAllMocks());

const unattributed: AuditRecordInput = {
  type: 'security.unattributed_deployment',
  actor: { type: 'system', id: 'arn:aws:iam::123456789012:user/mallory', providerIdentity: null },
  subject: { repository: null, commit: null },
  outcome: 'failure',
  details: {
    deploymentId: 'd-HAND',
    application: 'gantry-sample-service',
    deploymentGroup: 'prod',
    status: 'Succeeded',
    creator: 'user',
    reason:
      'deployment d-HAND to gantry-sample-service/prod was not started by Gantry: its description names no Gantry run',
  },
  correlationId: 'd-HAND',
};

const emf = () => lines.filter((l) => l._aws !== undefined);

describe('security records are counted for their alarm', () => {
  it('writes the record, then one SecurityRecords datapoint whose only dimension is its type', async () => {
    const ledger = new MemoryAudit();
    await countingWatchedRecords(ledger, observability().metrics).record(unattributed);
    expect(ledger.records).toEqual([unattributed]);
    const [line, ...more] = emf();
    expect(more).toEqual([]);
    expect(line).toMatchObject({ SecurityRecords: 1, Type: 'security.unattributed_deployment' });
    // No `service`: the alarm watches {Type} alone, whichever function wrote the record.
    expect(line).not.toHaveProperty('service');
    expect(line?._aws?.CloudWatchMetrics).toEqual([
      { Namespace: 'Gantry', Dimensions: [['Type']], Metrics: [{ Name: 'SecurityRecords', Unit: 'Count' }] },
    ]);
  });

  it('counts every security type, and nothing else', async () => {
    const ledger = new MemoryAudit();
    const sink = countingWatchedRecords(ledger, observability().metrics);
    await sink.record({
      type: 'security.forged_input',
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: { repository: 'acme/widgets', commit: null },
      outcome: 'rejected',
      details: { step: 'Deploy', executionArn: 'arn:x', reason: 'the plan is not the one ResolvePlan wrote' },
      correlationId: 'run-1',
    });
    await sink.record({
      type: 'approval.expired',
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: { repository: 'acme/widgets', commit: null },
      outcome: 'failure',
      details: { reason: 'nobody answered in 24 h' },
      correlationId: 'run-1',
    });
    expect(ledger.records.map((r) => r.type)).toEqual(['security.forged_input', 'approval.expired']);
    expect(emf().map((l) => l.Type)).toEqual(['security.forged_input']);
  });

  it('counts nothing when the ledger refused the record: the step fails instead, and says why', async () => {
    const ledger = new MemoryAudit();
    ledger.failing = true;
    await expect(countingWatchedRecords(ledger, observability().metrics).record(unattributed)).rejects.toThrow(
      'ledger unavailable',
    );
    expect(emf()).toEqual([]);
  });
});

describe('failed runs bound for an environment are counted for their own alarm', () => {
  const failed = (
    environment: string | null,
    details = { stage: 'deploy', error: 'Gantry.BakeAlarm', reason: 'alarm fired during the bake' },
  ): AuditRecordInput => ({
    type: 'run.failed',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: { repository: 'acme/widgets', commit: 'c'.repeat(40), runId: 'r-1', environment, pipeline: 'widgets' },
    outcome: 'failure',
    details,
    correlationId: 'run-1',
  });

  it('writes one ReleaseRunsFailed datapoint of its pipeline and environment; a pull request’s failure none', async () => {
    const ledger = new MemoryAudit();
    const sink = countingWatchedRecords(ledger, observability().metrics);
    // Pull requests fail every few minutes: none of them is counted where prod's failure is.
    for (let i = 0; i < 5; i++) await sink.record(failed(null));
    await sink.record(failed('prod'));
    expect(ledger.records).toHaveLength(6);
    const [line, ...more] = emf();
    expect(more).toEqual([]);
    expect(line).toMatchObject({ ReleaseRunsFailed: 1, Pipeline: 'widgets', Environment: 'prod' });
    expect(line).not.toHaveProperty('service');
    // An operator's cancel of a prod run is recorded, and counts as no failed release.
    await sink.record(
      failed('prod', { stage: 'cancelled', error: 'Gantry.Cancelled', reason: 'cancelled by olga: wrong branch' }),
    );
    expect(ledger.records).toHaveLength(7);
    expect(emf()).toHaveLength(1);
    expect(line?._aws?.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Gantry',
        Dimensions: [['Pipeline', 'Environment']],
        Metrics: [{ Name: 'ReleaseRunsFailed', Unit: 'Count' }],
      },
    ]);
  });
});
