import * as z from 'zod/mini';
import {
  AuditActorSchema,
  AuditOutcomeSchema,
  AuditSubjectSchema,
  SECURITY_AUDIT_TYPES,
  type SecurityAuditType,
} from './audit-record';

/** EventBridge `source` of the events Gantry publishes about its own ledger. */
export const AUDIT_EVENT_SOURCE = 'gantry.audit';

/**
 * Detail-type of one `security.*` record the ledger took: a rule sends each one to the alarm topic
 * on its own, so a second record is heard even while the type's alarm is still in ALARM.
 */
export const SECURITY_RECORD_DETAIL_TYPE = 'Security Record';

/** `Security Record`: the record as written (without its `once` key), and one line saying what it means. */
export const SecurityRecordSchema = z.object({
  schemaVersion: z.literal('1'),
  type: z.enum(SECURITY_AUDIT_TYPES as [SecurityAuditType, ...SecurityAuditType[]]),
  /** What a person reads first: the type, the run it names (if any) and why it was recorded. */
  summary: z.string(),
  /** The record's own `details.reason`. */
  reason: z.string(),
  actor: AuditActorSchema,
  subject: AuditSubjectSchema,
  outcome: AuditOutcomeSchema,
  details: z.record(z.string(), z.unknown()),
  correlationId: z.string(),
  /** When the writer published it (after the ledger took the record). */
  recordedAt: z.iso.datetime(),
});
export type SecurityRecord = z.infer<typeof SecurityRecordSchema>;
