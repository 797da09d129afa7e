import type { BuildLog } from './log';
import type { BuildRecords } from './records';
import type { BuildRecord, PhaseContext, PhaseRecord, PhaseType, StatusType } from './types';

/**
 * Keeps a build's phase list as CodeBuild shows it: a phase is open (no status, no end) while it
 * runs; each transition is saved and written to the log in CodeBuild's words.
 */
export class PhaseTracker {
  constructor(
    private readonly record: BuildRecord,
    private readonly records: BuildRecords,
    private readonly log: BuildLog,
  ) {}

  open(type: PhaseType): PhaseRecord {
    const phase: PhaseRecord = { phaseType: type, startTime: Date.now(), contexts: [] };
    this.record.phases.push(phase);
    this.record.currentPhase = type;
    this.records.save(this.record);
    this.log.system(`Entering phase ${type}`);
    return phase;
  }

  close(phase: PhaseRecord, status: StatusType, contexts: readonly PhaseContext[]): void {
    phase.phaseStatus = status;
    phase.endTime = Date.now();
    phase.contexts = [...contexts];
    this.records.save(this.record);
    this.log.system(`Phase complete: ${phase.phaseType} State: ${status}`);
    for (const c of contexts) this.log.system(`Phase context status code: ${c.statusCode} Message: ${c.message}`);
  }

  /** A phase local mode passes straight through (SUBMITTED, QUEUED). */
  instant(type: PhaseType): void {
    this.close(this.open(type), 'SUCCEEDED', []);
  }

  /** The build's end: the COMPLETED phase (no status, as on CodeBuild) and the build's status. */
  complete(status: StatusType): void {
    const now = Date.now();
    this.record.phases.push({ phaseType: 'COMPLETED', startTime: now, contexts: [] });
    this.record.currentPhase = 'COMPLETED';
    this.record.buildStatus = status;
    this.record.endTime = now;
    delete this.record.processGroup;
    this.records.save(this.record);
  }

  /** Whether a phase already ended with `status`. */
  has(status: StatusType): boolean {
    return this.record.phases.some((p) => p.phaseStatus === status);
  }
}
