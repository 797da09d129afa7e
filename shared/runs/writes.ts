/**
 * What each kind of write to a run item touches, by top-level attribute. IAM grants each function
 * only the kinds its writes need (`dynamodb:Attributes`, infra/constructs/runs-table.ts), so a step
 * taken over writes nothing beyond its own part of the record: evaluate-gates cannot approve a
 * run, request-approval cannot pass its gates, nothing but a release step can close a deployment.
 *
 * A request names the attributes it updates and the ones its condition reads: both count, as the
 * stricter reading of which names `dynamodb:Attributes` holds. That is why a kind whose writes are
 * conditioned on the run's status lists `status`. Every write names the item's key and sets
 * `updatedAt`; those two are in every grant.
 */
export const RUN_WRITES = {
  /** The run's status and how it ended (setStatus). */
  status: ['status', 'failure', 'cancelledBy', 'endedAt'],
  /** The per-stage progress shown in listings (setStage). */
  stages: ['stages'],
  /** The build's outcome and reports (evaluate-gates keeps what it read). */
  build: ['build'],
  /** The gates' verdict Deploy requires. */
  gates: ['gates'],
  /** The signed provenance's location and digests. */
  provenance: ['provenance'],
  /** The approval request, its decisions and outcome (decisions are taken only while the run runs). */
  approval: ['approval', 'status'],
  /** The release: its deployment, stop requests, traffic going back. */
  deployment: ['deployment'],
  /** The bake's verdict, which ReportSuccess requires of a run that deploys. */
  bake: ['baked'],
  /** A lane's lock item and the token of the run parked waiting for it. */
  lane: ['holder', 'heldSince', 'laneToken'],
} as const satisfies Record<string, readonly string[]>;

export type RunWrite = keyof typeof RUN_WRITES;

/** The runs table's key, named by every request. */
export const RUN_KEY = 'runId';

/** Set by every write. */
export const RUN_TOUCHED = 'updatedAt';

/**
 * The attributes of a run as it is created (one PutItem, conditioned on the key being new). A
 * creator writes no gates, approval, deployment or provenance: those come only from their steps.
 */
export const RUN_CREATED = [
  'kind',
  RUN_KEY,
  'pipeline',
  'trigger',
  'repository',
  'commit',
  'branch',
  'environment',
  'lane',
  'status',
  'createdAt',
  RUN_TOUCHED,
  'executionArn',
  'plan',
  'stages',
] as const;

/** The top-level attributes a function granted `writes` may name in an UpdateItem. */
export function attributesOf(writes: readonly RunWrite[]): string[] {
  return [...new Set([RUN_KEY, RUN_TOUCHED, ...writes.flatMap((w) => RUN_WRITES[w])])].sort();
}
