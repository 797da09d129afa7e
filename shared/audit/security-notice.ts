import type { Logger } from '@aws-lambda-powertools/logger';
import {
  AUDIT_EVENT_SOURCE,
  type AuditRecordInput,
  isSecurityAuditType,
  SECURITY_RECORD_DETAIL_TYPE,
  type SecurityAuditType,
  type SecurityRecord,
} from '../../events';
import type { EventBus } from '../bus/event-bus';
import type { AuditSink } from './audit';

/** What telling the operators of a security record needs. */
export interface SecurityNoticeDeps {
  readonly bus: EventBus;
  readonly logger: Pick<Logger, 'error'>;
  readonly clock: () => Date;
}

/**
 * The ledger as a step writes it, putting each `security.*` record it wrote on the bus as one
 * `Security Record` event, which a rule sends to the alarm topic (infra/constructs/monitoring.ts).
 * The type's alarm notifies only when its state changes, so a record written while it is still in
 * ALARM from an earlier one (a harmless forged input, then a real one) would reach nobody; this
 * event reaches the topic once per record. Published after the write, so nothing is announced that
 * the ledger does not hold. An event EventBridge refused after its retries is logged as an error,
 * not thrown: the record is in the ledger and counted for the alarm, and a step that refuses a
 * forged input must refuse it the same way whether or not the bus answered.
 */
export function announcingSecurityRecords(sink: AuditSink, deps: SecurityNoticeDeps): AuditSink {
  return {
    async record(record: AuditRecordInput) {
      await sink.record(record);
      if (!isSecurityRecord(record)) return;
      const detail = securityRecordOf(record, deps.clock());
      const failed = await deps.bus.put([
        { source: AUDIT_EVENT_SOURCE, detailType: SECURITY_RECORD_DETAIL_TYPE, detail },
      ]);
      for (const f of failed)
        deps.logger.error('security record not announced (the ledger and the alarm metric have it)', {
          type: record.type,
          runId: record.subject.runId ?? null,
          correlationId: record.correlationId,
          errorCode: f.errorCode,
        });
    },
  };
}

type SecurityRecordInput = Extract<AuditRecordInput, { type: SecurityAuditType }>;

function isSecurityRecord(record: AuditRecordInput): record is SecurityRecordInput {
  return isSecurityAuditType(record.type);
}

/** The `Security Record` detail of a security record. */
export function securityRecordOf(record: SecurityRecordInput, at: Date): SecurityRecord {
  const { type } = record;
  const { reason } = record.details;
  const runId = record.subject.runId ?? null;
  return {
    schemaVersion: '1',
    type,
    summary: `Gantry ${type}${runId === null ? '' : ` (run ${runId})`}: ${reason}`,
    reason,
    actor: { ...record.actor, providerIdentity: record.actor.providerIdentity ?? null },
    subject: {
      repository: record.subject.repository ?? null,
      commit: record.subject.commit ?? null,
      runId,
      environment: record.subject.environment ?? null,
      pipeline: record.subject.pipeline ?? null,
    },
    outcome: record.outcome,
    details: record.details,
    correlationId: record.correlationId,
    recordedAt: at.toISOString(),
  };
}
