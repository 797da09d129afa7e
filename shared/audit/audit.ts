import type { AuditRecordInput } from '../../events';

/** Port: where every step writes the facts compliance staff will ask about. */
export interface AuditSink {
  /** Records one fact; throws when it could not be recorded, so the step fails rather than going unaudited. */
  record(record: AuditRecordInput): Promise<void>;
}
