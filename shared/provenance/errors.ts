/**
 * Why provenance could not be recorded or did not verify. The state machine catches these by
 * name and fails the run with the message, which says what differed and what to fix.
 */
export class ProvenanceError extends Error {
  constructor(
    override readonly name: 'Gantry.ProvenanceNotRecorded' | 'Gantry.DeployRefused',
    message: string,
    /** The check that failed: `run`, `build`, `artifacts`, `envelope`, `signature`, `builder`, `commit`, `subject`, `digest`, `code`, `family`, `alias`, `rollback`, `configuration`. */
    readonly check: string,
  ) {
    super(message);
  }
}

export function notRecorded(check: string, message: string): ProvenanceError {
  return new ProvenanceError('Gantry.ProvenanceNotRecorded', message, check);
}

export function refused(check: string, message: string): ProvenanceError {
  return new ProvenanceError('Gantry.DeployRefused', message, check);
}
