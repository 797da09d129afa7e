import * as z from 'zod/mini';
import { RunPlanSchema } from './run-plan';

/**
 * The state of a pipeline's state machine, and every step's input and output. Each state reads
 * the fields it needs by JSONPath and writes its result into one slot (its ResultPath); the
 * definition in `infra/` names those paths with `statePath`, which TypeScript checks against
 * `PipelineState`.
 */

/** A run's stages, in the order they run: the run record's stages, and where a failure is placed. */
export const STAGES = ['plan', 'build', 'gates', 'approval', 'deploy', 'report'] as const;
export type StageName = (typeof STAGES)[number];

/** ResolvePlan's answer: the plan, and whether the run must wait for its lane. */
export const StartedRunSchema = z.extend(RunPlanSchema, { waitForTurn: z.boolean() });
export type StartedRun = z.infer<typeof StartedRunSchema>;

/** The error a failed state handed its Catch. */
export const StateFailureSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });
export type StateFailure = z.infer<typeof StateFailureSchema>;

/** A LambdaInvoke's result as the state keeps it: the function's answer, without Lambda's envelope. */
function invoked<T extends z.ZodMiniType>(payload: T) {
  return z.object({ value: payload });
}

/** What the Build step hands EvaluateGates (the fields its ResultSelector keeps). */
export const BuildResultSchema = z.object({
  id: z.string(),
  status: z.string(),
  artifacts: z.optional(z.string()),
  logGroup: z.optional(z.string()),
  logStream: z.optional(z.string()),
  /** When the build started and ended (epoch milliseconds, or ISO text). */
  startTime: z.optional(z.union([z.number(), z.string()])),
  endTime: z.optional(z.union([z.number(), z.string()])),
});
export type BuildResult = z.infer<typeof BuildResultSchema>;

/** What RecordProvenance hands the next state: enough to show, nothing to trust (Deploy re-reads the run). */
export const ProvenanceSummarySchema = z.object({
  builderId: z.string(),
  subjects: z.number().check(z.int()),
  envelopeSha256: z.string(),
});
export type ProvenanceSummary = z.infer<typeof ProvenanceSummarySchema>;

/**
 * The source snapshot a build runs from: the commit's archive from the provider, repacked so its
 * root is the repository root, stored once under a key named by its digest and pinned by version.
 */
export const SourceSnapshotSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  versionId: z.string(),
  /** `bucket/key`: CodeBuild's S3 source location. */
  location: z.string(),
  /** SHA-256 of the snapshot's bytes (lowercase hex): what build provenance names as the source. */
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  commit: z.string(),
  files: z.number().check(z.int()),
  bytes: z.number().check(z.int()),
  /**
   * Set when the provider's archive differed from the commit's tree (`.gitattributes` such as
   * `export-subst`, `export-ignore` or `eol=crlf` shape archives) and what differed was taken
   * from the commit's blobs, each checked against its id: the snapshot is the commit's tree.
   */
  repaired: z.optional(
    z.object({
      /** Files written as committed (replaced or added). */
      files: z.number().check(z.int()),
      /** Paths the archive held that the commit does not, removed. */
      dropped: z.number().check(z.int()),
      /** The first of the paths taken (at most 20). */
      paths: z.array(z.string()),
      /** The archive-shaping attributes the commit's `.gitattributes` set. */
      attributes: z.array(z.string()),
      /** One line for people: `N files taken from the commit's blobs because the archive differed (attributes: …)`. */
      summary: z.string(),
    }),
  ),
});
export type SourceSnapshot = z.infer<typeof SourceSnapshotSchema>;

/** FetchSource's answer: the snapshot, or why there is none (a reason that names the connection and the fix). */
export const FetchedSourceSchema = z.object({
  fetched: z.boolean(),
  snapshot: z.nullable(SourceSnapshotSchema),
  failure: z.nullable(z.object({ error: z.string(), reason: z.string() })),
});
export type FetchedSource = z.infer<typeof FetchedSourceSchema>;

/** The numbers an evaluation reports whether or not any gate looks at them. */
export const GateMetricsSchema = z.object({
  tests: z.object({
    total: z.number().check(z.int()),
    failed: z.number().check(z.int()),
    skipped: z.number().check(z.int()),
  }),
  /** Line coverage in percent across every coverage report, or null with none (or no lines). */
  lineCoverage: z.nullable(z.number()),
  findings: z.object({
    error: z.number().check(z.int()),
    warning: z.number().check(z.int()),
    note: z.number().check(z.int()),
    critical: z.number().check(z.int()),
    high: z.number().check(z.int()),
  }),
});
export type GateMetrics = z.infer<typeof GateMetricsSchema>;

/** The answer of one evaluation (EvaluateGates' output): pass or fail, why, and the numbers behind it. */
export const GateEvaluationSchema = z.object({
  passed: z.boolean(),
  /** One line per failed gate, in the order tests, coverage, findings, security; empty when passed. */
  reasons: z.array(z.string()),
  metrics: GateMetricsSchema,
});
export type GateEvaluation = z.infer<typeof GateEvaluationSchema>;

/** What an approved Approval's task token is answered with: who approved. */
export const ApprovalOutputSchema = z.object({ approvedBy: z.array(z.string()) });
export type ApprovalOutput = z.infer<typeof ApprovalOutputSchema>;

/** What the Deploy task answers with once the deployment succeeded. */
export const DeployedOutputSchema = z.object({
  deploymentId: z.nullable(z.string()),
  fromVersion: z.nullable(z.string()),
  toVersion: z.string(),
  target: z.string(),
});
export type DeployedOutput = z.infer<typeof DeployedOutputSchema>;

/**
 * BakeUntil's answer: when the bake ends, from the run record (when Gantry closed the deployment
 * as succeeded, plus the target's bake time), never from when the Deploy task was answered.
 */
export const BakeStartSchema = z.object({ until: z.string() });
export type BakeStart = z.infer<typeof BakeStartSchema>;

/** CheckAlarms' answer at the end of a quiet bake: the deployment group's alarms it checked. */
export const BakeCheckSchema = z.object({ alarms: z.array(z.string()) });
export type BakeCheck = z.infer<typeof BakeCheckSchema>;

/** RecordFailure's answer: the failure in words, for the commit status and RunFailed's cause. */
export const FailureSummarySchema = z.object({
  stage: z.enum([...STAGES, 'internal']),
  error: z.string(),
  reason: z.string(),
});
export type FailureSummary = z.infer<typeof FailureSummarySchema>;

/** ClosePlanFailure's answer: the run it closed (null: this execution recorded none) and why. */
export const ClosedPlanSchema = z.object({ plan: z.nullable(RunPlanSchema), summary: FailureSummarySchema });
export type ClosedPlan = z.infer<typeof ClosedPlanSchema>;

/**
 * The state of a run's execution from KeepPlan on: the plan, and one slot per state that keeps
 * its result. Before KeepPlan the state is the execution's input (`PipelineStart`) with
 * ResolvePlan's answer at `resolved` (or its error at `error`); KeepPlan keeps only the plan, and
 * a rollback's run (Rollback) only the plan and a build it did not run.
 */
export const PipelineStateSchema = z.object({
  /** KeepPlan: ResolvePlan's answer. */
  plan: StartedRunSchema,
  /** ResolvePlan. */
  resolved: z.optional(invoked(StartedRunSchema)),
  /** ResolvePlan's Catch (then ClosePlanFailure). */
  error: z.optional(StateFailureSchema),
  /** ClosePlanFailure: the run this execution recorded before planning failed, if any, now closed. */
  closed: z.optional(invoked(ClosedPlanSchema)),
  /** ClosePlanFailure's or ReleaseLaneAfterPlanFailure's Catch (then PlanFailed). */
  closeError: z.optional(StateFailureSchema),
  /** FetchSource: the snapshot the build runs from, or why there is none. */
  source: z.optional(invoked(FetchedSourceSchema)),
  /** Build (CodeBuild .sync, its ResultSelector), or Rollback's stand-in (`none`, `NOT_BUILT`). */
  build: z.optional(BuildResultSchema),
  /** RecordProvenance. */
  provenance: z.optional(invoked(ProvenanceSummarySchema)),
  /** EvaluateGates. */
  gates: z.optional(invoked(GateEvaluationSchema)),
  /** Approval <environment> (.waitForTaskToken): the token's answer. */
  approval: z.optional(ApprovalOutputSchema),
  /** Deploy <environment> (.waitForTaskToken: the token's answer), or Reconcile <environment> (invoked). */
  deployment: z.optional(z.union([DeployedOutputSchema, invoked(DeployedOutputSchema)])),
  /** Deploy <environment>'s Catch of States.Timeout (then Reconcile). */
  deployTimeout: z.optional(StateFailureSchema),
  /** BakeUntil <environment>: when the bake ends, as the record says. */
  bakeUntil: z.optional(invoked(BakeStartSchema)),
  /** CheckAlarms <environment>. */
  bake: z.optional(invoked(BakeCheckSchema)),
  /** Any stage's Catch, or GatesFailed (the gates' reasons, as JSON, in `Cause`). */
  failure: z.optional(StateFailureSchema),
  /** Failed <stage>: which stage `failure` is a failure of. */
  failedStage: z.optional(z.enum(STAGES)),
  /** RecordFailure. */
  summary: z.optional(invoked(FailureSummarySchema)),
  /** RecordFailure's Catch (then FailureNotRecorded). */
  recordError: z.optional(StateFailureSchema),
  /** ReportFailure's Catch (then ReleaseLaneAfterFailure). */
  reportError: z.optional(StateFailureSchema),
  /** ReleaseLaneAfterFailure's Catch (then RunFailed). */
  releaseError: z.optional(StateFailureSchema),
});
export type PipelineState = z.infer<typeof PipelineStateSchema>;

/**
 * The field names that lead into `T`, as a tuple: `['plan', 'build', 'projectName']`. A path goes
 * through objects (nullable and optional ones too, and every member of a union), and ends at any
 * field; it never goes into an array.
 */
export type JsonPathIn<T> = T extends readonly unknown[]
  ? never
  : T extends object
    ? { [K in keyof T & string]-?: [K] | [K, ...JsonPathIn<T[K]>] }[keyof T & string]
    : never;

/** A typed JSONPath builder for a document of type `T`: each field name is checked against `T`. */
export function jsonPathIn<T>(): (...fields: JsonPathIn<T>) => string {
  return (...fields) => `$.${fields.join('.')}`;
}

/** A JSONPath into the pipeline state: `statePath('plan', 'build', 'projectName')` is `$.plan.build.projectName`. */
export const statePath = jsonPathIn<PipelineState>();

/** The inputs of each pipeline step, as the state machine passes them (schemas first). */
export const PlanOnlyInputSchema = z.object({ plan: RunPlanSchema });

export const TokenStepInputSchema = z.object({ plan: RunPlanSchema, taskToken: z.string().check(z.minLength(1)) });

/** `$$.Execution.Id`: set by Step Functions from the context object, never by the input. */
const ExecutionIdSchema = z.string().check(z.minLength(1));

/** RequestApproval (.waitForTaskToken): the plan (a pointer; the step re-reads the run), its token and execution. */
export const ApprovalStepInputSchema = z.extend(TokenStepInputSchema, { execution: ExecutionIdSchema });

/** EvaluateGates: the build to evaluate, checked against the build RecordProvenance attested for the run. */
export const GatesStepInputSchema = z.object({
  plan: RunPlanSchema,
  build: BuildResultSchema,
  execution: ExecutionIdSchema,
});

/** RecordProvenance: the build's id only; everything else is read from CodeBuild and the run record. */
export const ProvenanceStepInputSchema = z.object({
  plan: RunPlanSchema,
  build: z.object({ id: z.string().check(z.minLength(1)) }),
  execution: ExecutionIdSchema,
});

/** FetchSource: the plan (a pointer; the step re-reads the run) and the execution. */
export const SourceStepInputSchema = z.object({ plan: RunPlanSchema, execution: ExecutionIdSchema });

export const FailureStepInputSchema = z.object({
  plan: RunPlanSchema,
  execution: ExecutionIdSchema,
  stage: z.string(),
  failure: StateFailureSchema,
});

/**
 * ClosePlanFailure: ResolvePlan failed. Only the execution's own name (`$$.Execution.Name`, the
 * run id of every run the control plane starts) and id: the run must be this execution's.
 */
export const UnplannedFailureInputSchema = z.object({
  unplanned: z.object({ runId: z.string().check(z.minLength(1)) }),
  execution: ExecutionIdSchema,
  failure: StateFailureSchema,
});

/** The record-failure function's two steps: a failed stage of a planned run, or a failed plan. */
export const RecordFailureInputSchema = z.union([FailureStepInputSchema, UnplannedFailureInputSchema]);

/**
 * ReportStatus: the outcome the execution claims. `failure` (RecordFailure's summary) is shown in
 * the execution's history only: the step reports the failure the run record holds.
 */
export const ReportStepInputSchema = z.object({
  plan: RunPlanSchema,
  execution: ExecutionIdSchema,
  outcome: z.enum(['success', 'failure']),
  failure: z.optional(z.object({ stage: z.string(), error: z.string(), reason: z.string() })),
});

/**
 * ReportStatus, for a run that ended without reaching it (an operator's cancel, the sweep): the
 * bus rule on their `Run Failed` event hands over the run's id and nothing else, since what the
 * commit status says is read from the run record, never from the event.
 */
export const ReportEndedInputSchema = z.object({
  ended: z.object({ runId: z.string().check(z.minLength(1)) }),
});

/** The report-status function's two inputs: the state machine's ReportStatus step, or an ended run. */
export const ReportStatusInputSchema = z.union([ReportStepInputSchema, ReportEndedInputSchema]);

/** ReleaseLane: the ended run's plan (a pointer) and its execution. */
export const ReleaseLaneInputSchema = z.object({
  plan: RunPlanSchema,
  execution: ExecutionIdSchema,
  release: z.literal('lane'),
});

/**
 * WaitTurn (.waitForTaskToken): a queued run parks its lane token. The execution names whose
 * run it is: the token is kept only on the run this execution recorded, and only while QUEUED.
 */
export const WaitTurnInputSchema = z.extend(TokenStepInputSchema, { execution: ExecutionIdSchema });

/** The sweeper's scheduled input (a fixed object the schedule rule sends). */
export const SweepInputSchema = z.object({ sweep: z.literal('runs') });

/**
 * The wait-turn function's steps: park a queued run (WaitTurn), hand on an ended run's lane
 * (ReleaseLane), or reconcile runs and lanes with their executions (the scheduled sweep).
 */
export const LaneStepInputSchema = z.union([WaitTurnInputSchema, ReleaseLaneInputSchema, SweepInputSchema]);

/**
 * Deploy (.waitForTaskToken): the plan and the token. What to release is read from the run
 * record (its pinned provenance), never from the state's input.
 */
export const DeployStepInputSchema = z.object({
  plan: RunPlanSchema,
  taskToken: z.string().check(z.minLength(1)),
  execution: ExecutionIdSchema,
});

/**
 * After the deploy: reconcile a timed-out wait, say when the bake ends (`bake-start`), or check
 * the alarms at the end of the bake.
 */
export const DeployCheckInputSchema = z.object({
  plan: RunPlanSchema,
  check: z.enum(['reconcile', 'bake-start', 'bake']),
  /** `$$.Execution.Id`: the check acts only on the run this execution owns. */
  execution: ExecutionIdSchema,
});
