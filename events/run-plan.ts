import * as z from 'zod/mini';
import {
  BUILD_TRUSTS,
  DeployTargetSchema,
  EligibleApproverSchema,
  GatesSchema,
  PipelineDefinitionSchema,
} from './pipeline-definition';
import { SourceEventSchema } from './source-event';

export const TRIGGERS = ['push', 'tag', 'pull_request'] as const;
export type Trigger = (typeof TRIGGERS)[number];
/** What starts a run: a change's trigger, or an operator's rollback. */
export const RUN_TRIGGERS = [...TRIGGERS, 'rollback'] as const;

/** ResolvePlan's input: what admission handed the run, plus the execution's identity. */
export const PlanRequestSchema = z.object({
  pipeline: PipelineDefinitionSchema,
  trigger: z.enum(TRIGGERS),
  source: SourceEventSchema,
  execution: z.object({ id: z.string(), name: z.string() }),
});
export type PlanRequest = z.infer<typeof PlanRequestSchema>;

/** A change's start: what admission hands a pipeline execution (and what admission itself is started with). */
export const ChangeStartSchema = z.object({ trigger: z.enum(TRIGGERS), source: SourceEventSchema });
export type ChangeStart = z.infer<typeof ChangeStartSchema>;

/** The admission machine's state: the change, and the run's name as it is worked out (`<pipeline>#<event id>`, then its SHA-256). */
export const AdmissionStateSchema = z.extend(ChangeStartSchema, {
  runKey: z.optional(z.object({ value: z.string() })),
  runName: z.optional(z.object({ value: z.string() })),
});
export type AdmissionState = z.infer<typeof AdmissionStateSchema>;

/** A pipeline execution's whole input: a change's (from admission), or a rollback's run id (from the operator API). */
export const PipelineStartSchema = z.union([
  z.object({ rollback: z.object({ runId: z.string().check(z.minLength(1)) }) }),
  z.object({ retry: z.object({ runId: z.string().check(z.minLength(1)) }) }),
  // Admission's StartExecution (associateWithParent) adds AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.
  ChangeStartSchema,
]);
export type PipelineStart = z.infer<typeof PipelineStartSchema>;

/**
 * ResolvePlan's input: the pipeline, the execution's identity (from the context object), and the
 * execution's whole input as `start`, which only two paths send: admission (a change's trigger
 * and source) and the operator API (a rollback's or a retry's run id). Anything else fails here, on the record.
 */
export const ResolveRequestSchema = z.object({
  pipeline: PipelineDefinitionSchema,
  start: PipelineStartSchema,
  execution: z.object({ id: z.string(), name: z.string() }),
});
export type ResolveRequest = z.infer<typeof ResolveRequestSchema>;

/** Who opened or merged a pull request: the provider's immutable id, username and e-mail, where it says. */
export const PullRequestPersonSchema = z.object({
  id: z.nullable(z.string()),
  username: z.nullable(z.string()),
  email: z.nullable(z.string()),
});

/** A merged pull request behind a pushed change; `mergedBy` null when the provider does not name who merged it. */
export const MergedPullRequestSchema = z.object({
  number: z.string(),
  title: z.nullable(z.string()),
  url: z.nullable(z.string()),
  openedBy: z.nullable(PullRequestPersonSchema),
  mergedBy: z.nullable(PullRequestPersonSchema),
});

/** A Lambda configuration's digest (shared/deploy/configuration.ts `configurationDigest`): SHA-256, lowercase hex. */
export const CONFIGURATION_DIGEST = /^[0-9a-f]{64}$/;

/** What a run will do, decided once at its start; every later step reads it. */
export const RunPlanSchema = z.object({
  runId: z.string(),
  executionArn: z.string(),
  pipeline: z.string(),
  trigger: z.enum(RUN_TRIGGERS),
  skip: z.boolean(),
  skipReason: z.nullable(z.string()),
  repository: z.string(),
  commit: z.string(),
  ref: z.nullable(z.string()),
  branch: z.nullable(z.string()),
  pullRequest: z.nullable(z.number().check(z.int())),
  environment: z.nullable(z.string()),
  deploy: z.boolean(),
  /** Where and how the run releases (null: it does not deploy). */
  deployTarget: z._default(z.nullable(DeployTargetSchema), null),
  /** A rollback run: the revision it redeploys, and why (null for runs of a change). */
  rollback: z._default(
    z.nullable(
      z.object({
        ofRunId: z.nullable(z.string()),
        toRunId: z.string(),
        version: z.string(),
        reason: z.string(),
        requestedBy: z.string(),
      }),
    ),
    null,
  ),
  /** A retry: the run it runs again, who asked and why (null for first runs of a change). */
  retry: z._default(
    z.nullable(
      z.object({
        ofRunId: z.string(),
        reason: z.string(),
        requestedBy: z.string(),
        /**
         * The Lambda configuration its requester accepted (`--accept-configuration`): Deploy
         * releases a changed configuration only when its digest is exactly this one.
         */
        acceptConfiguration: z._default(z.nullable(z.string().check(z.regex(CONFIGURATION_DIGEST))), null),
      }),
    ),
    null,
  ),
  lane: z.string(),
  concurrency: z.enum(['queued', 'superseded']),
  approval: z.nullable(
    z.object({
      required: z.literal(true),
      minApprovals: z.number().check(z.int()),
      timeoutSeconds: z.number().check(z.int()),
      separationOfDuties: z.boolean(),
      approvers: z.array(EligibleApproverSchema),
    }),
  ),
  build: z.object({
    /**
     * `trusted` only for refs a push or tag trigger names: the release project, with the
     * pipeline's secrets. Pull requests build in the untrusted project, which has neither
     * secrets nor access to release artifacts, and can never be deployed.
     */
    trust: z.enum(BUILD_TRUSTS),
    projectName: z.string(),
    cloneUrl: z.string(),
    commit: z.string(),
    env: z.array(z.object({ name: z.string(), value: z.string(), type: z.literal('PLAINTEXT') })),
  }),
  gates: GatesSchema,
  status: z.object({
    provider: z.string(),
    connection: z.string(),
    secretId: z.string(),
    context: z.string(),
    repository: z.string(),
    commit: z.string(),
  }),
  change: z.object({
    authorName: z.nullable(z.string()),
    authorEmail: z.nullable(z.string()),
    pusher: z.nullable(z.string()),
    sender: z.nullable(z.string()),
    message: z.nullable(z.string()),
    deliveryId: z.string(),
    eventId: z.string(),
    /**
     * Everyone who took part: every commit's author and committer (e-mails, and accounts where the
     * provider names them), the pusher, the sender, the PR's author.
     */
    participants: z._default(
      z.object({
        emails: z.array(z.string()),
        usernames: z.array(z.string()),
        /** Account ids at the provider (the sender's, the pull requests' openers and mergers'): names no one can change. */
        ids: z._default(z.array(z.string()), []),
      }),
      { emails: [], usernames: [], ids: [] },
    ),
    /** Why Gantry may not know everyone who wrote or committed the change (null: it does). */
    incomplete: z._default(z.nullable(z.string()), null),
    /** The commit the push moved its ref from (null: it created the ref, or the change is no push). */
    before: z._default(z.nullable(z.string()), null),
    /**
     * What the push moved its ref to, as the delivery says: a commit, or an annotated tag's object
     * (null: it deleted the ref, or the run was recorded before Gantry kept it). With `before`, it
     * is the ref's move, which tells a late delivery of an older push from a current one.
     */
    after: z._default(z.nullable(z.string()), null),
    /**
     * Where the commits came from: the delivery alone; the deliveries of the pushes since the
     * environment's last release (each run recorded its own); or the provider's API.
     */
    listedBy: z._default(z.enum(['delivery', 'pushes', 'provider']), 'delivery'),
    /**
     * The merged pull requests that brought the change's commits in, with who opened and who
     * merged each (null: not looked up). Separation of duties refuses them as approvers.
     */
    pullRequests: z._default(z.nullable(z.array(MergedPullRequestSchema)), null),
  }),
});
export type RunPlan = z.infer<typeof RunPlanSchema>;
