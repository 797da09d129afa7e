import type { AuditRecordInput } from '../../../events';
import { SecurityRecordSchema } from '../../../events';
import { announcingSecurityRecords } from '../../../shared/audit/security-notice';
import { MemoryAudit, MemoryBus } from '../../support/receiver-fakes';

const at = new Date('2026-12-07T18:00:00.000Z');

const forged = (runId: string, reason: string): AuditRecordInput => ({
  type: 'security.forged_input',
  actor: { type: 'system', id: 'gantry', providerIdentity: null },
  subject: { repository: 'acme/widgets', commit: null, runId, environment: null, pipeline: 'widgets' },
  outcome: 'rejected',
  details: { step: 'Deploy', executionArn: 'arn:aws:states:::execution:m:e', reason },
  correlationId: `forged:${runId}`,
});

function setup() {
  const ledger = new MemoryAudit();
  const bus = new MemoryBus();
  const errors: [string, unknown][] = [];
  const logger = {
    error: (message: unknown, ...extra: unknown[]) => {
      errors.push([String(message), extra[0]]);
    },
  };
  const sink = announcingSecurityRecords(ledger, { bus, logger, clock: () => at });
  return { ledger, bus, errors, sink };
}

describe('announcingSecurityRecords', () => {
  it('puts one Security Record event on the bus per security record, the second as well as the first', async () => {
    const { ledger, bus, sink } = setup();
    await sink.record(forged('r-1', 'a replayed test execution'));
    await sink.record(forged('r-2', 'run r-2 belongs to another execution'));
    expect(ledger.records).toHaveLength(2);
    expect(bus.published.map((e) => [e.source, e.detailType])).toEqual([
      ['gantry.audit', 'Security Record'],
      ['gantry.audit', 'Security Record'],
    ]);
    const details = bus.published.map((e) => SecurityRecordSchema.parse(e.detail));
    expect(details.map((d) => [d.type, d.subject.runId, d.reason])).toEqual([
      ['security.forged_input', 'r-1', 'a replayed test execution'],
      ['security.forged_input', 'r-2', 'run r-2 belongs to another execution'],
    ]);
    expect(details[1]?.summary).toBe('Gantry security.forged_input (run r-2): run r-2 belongs to another execution');
    expect(details[1]?.recordedAt).toBe(at.toISOString());
  });

  it('announces an unattributed deployment, which names no run', async () => {
    const { bus, sink } = setup();
    await sink.record({
      type: 'security.unattributed_deployment',
      actor: { type: 'system', id: 'arn:aws:iam::123456789012:user/mallory', providerIdentity: null },
      subject: { repository: null, commit: null },
      outcome: 'failure',
      details: {
        deploymentId: 'd-HAND',
        application: 'svc',
        deploymentGroup: 'prod',
        status: 'Succeeded',
        creator: 'user',
        reason: 'not started by Gantry',
      },
      correlationId: 'd-HAND',
    });
    const [detail] = bus.published.map((e) => SecurityRecordSchema.parse(e.detail));
    expect(detail).toMatchObject({
      type: 'security.unattributed_deployment',
      summary: 'Gantry security.unattributed_deployment: not started by Gantry',
      subject: { runId: null },
      details: { deploymentId: 'd-HAND' },
    });
  });

  it('announces nothing else the ledger takes', async () => {
    const { ledger, bus, sink } = setup();
    await sink.record({
      type: 'approval.expired',
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: { repository: 'acme/widgets', commit: null },
      outcome: 'failure',
      details: { reason: 'nobody answered' },
      correlationId: 'run-1',
    });
    expect(ledger.records).toHaveLength(1);
    expect(bus.published).toEqual([]);
  });

  it('announces nothing the ledger refused: the step fails instead', async () => {
    const { ledger, bus, sink } = setup();
    ledger.failing = true;
    await expect(sink.record(forged('r-1', 'x'))).rejects.toThrow('ledger unavailable');
    expect(bus.published).toEqual([]);
  });

  it('logs an event the bus refused as an error and lets the step go on as it would (the record is written)', async () => {
    const { ledger, bus, errors, sink } = setup();
    bus.failWith = 'InternalFailure';
    await sink.record(forged('r-1', 'x'));
    expect(ledger.records).toHaveLength(1);
    expect(errors).toEqual([
      [
        expect.stringContaining('security record not announced'),
        expect.objectContaining({ type: 'security.forged_input', runId: 'r-1', errorCode: 'InternalFailure' }),
      ],
    ]);
  });
});
