import type { Logger } from '@aws-lambda-powertools/logger';
import type { AuditRecordInput } from '../../events';

/** Port: where every step writes the facts compliance staff will ask about. */
export interface AuditSink {
  /** Records one fact; throws when it could not be recorded, so the step fails rather than going unaudited. */
  record(record: AuditRecordInput): Promise<void>;
}

/** Writes audit facts as structured log lines (`audit` key), until the ledger backs the port. */
export class LoggerAuditSink implements AuditSink {
  constructor(private readonly logger: Pick<Logger, 'info'>) {}

  async record(record: AuditRecordInput): Promise<void> {
    this.logger.info(`audit ${record.type}`, { audit: record });
  }
}
