import type { AuditRecordInput } from '../../events';

/**
 * The `once` key of a fact about a run: a retried step, a redriven execution or the sweeper that
 * records the same fact again adds nothing to the ledger. `fact` names what happens once in a
 * run's life (`run.ended`, `deploy.ended/<deployment>`), not the record's type, where two types
 * are two outcomes of one fact.
 */
export function runFact(runId: string, fact: string): string {
  return `run/${runId}/${fact}`;
}

/** Port: where every step writes the facts compliance staff will ask about. */
export interface AuditSink {
  /** Records one fact; throws when it could not be recorded, so the step fails rather than going unaudited. */
  record(record: AuditRecordInput): Promise<void>;
}
