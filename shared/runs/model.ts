import * as z from 'zod/mini';
import { RunPlanSchema, RunProvenanceSchema } from '../../events';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING'];

export const StageSchema = z.object({
  status: z.enum(['running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled']),
  startedAt: z.string(),
  endedAt: z.optional(z.string()),
  summary: z.optional(z.string()),
});
export type Stage = z.infer<typeof StageSchema>;

export const DecisionSchema = z.object({
  identity: z.string(),
  principal: z.string(),
  decision: z.enum(['approve', 'reject']),
  reason: z.string(),
  at: z.string(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const DEPLOYMENT_STATUSES = ['in_progress', 'succeeded', 'failed', 'stopped'] as const;

/** A run's release: which version replaced which, through which CodeDeploy deployment, and how it ended. */
export const RunDeploymentSchema = z.object({
  /** The Deploy task's token, answered when CodeDeploy says the deployment ended. */
  taskToken: z.string(),
  target: z.string(),
  strategy: z.string(),
  fromVersion: z.nullable(z.string()),
  toVersion: z.string(),
  deploymentId: z.optional(z.string()),
  status: z.enum(DEPLOYMENT_STATUSES),
  startedAt: z.string(),
  endedAt: z.optional(z.string()),
  reason: z.optional(z.string()),
  /** Whether traffic went back to `fromVersion` (automatically or by a stop). */
  rolledBack: z.optional(z.boolean()),
  /** An operator's stop, in their words: the reason the run fails with, whichever path closes it. */
  stopRequested: z.optional(z.string()),
  /** When the Deploy task was told how the deployment ended (after `endedAt`: the two are two writes). */
  answeredAt: z.optional(z.string()),
  /**
   * The deployment the bake check created to send traffic back after an alarm: noted when asked
   * for, then with CodeDeploy's id, so its events are known as Gantry's (its description is anyone's).
   */
  trafficBack: z.optional(
    z.object({
      requestedAt: z.string(),
      deploymentId: z.optional(z.string()),
      /** Why the bake failed (its alarms), as the attempt that asked for the rollback saw it. */
      reason: z.optional(z.string()),
    }),
  ),
});
export type RunDeployment = z.infer<typeof RunDeploymentSchema>;

/** One run of a pipeline, as operators list it and compliance staff trace it. */
export const RunRecordSchema = z.object({
  kind: z._default(z.literal('run'), 'run'),
  runId: z.string(),
  pipeline: z.string(),
  trigger: z.string(),
  repository: z.string(),
  commit: z.string(),
  branch: z.nullable(z.string()),
  environment: z.nullable(z.string()),
  lane: z.string(),
  status: z.enum(RUN_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.optional(z.string()),
  executionArn: z.string(),
  plan: RunPlanSchema,
  stages: z._default(z.record(z.string(), StageSchema), {}),
  build: z.optional(
    z.object({
      id: z.string(),
      status: z.string(),
      logGroup: z.optional(z.string()),
      logStream: z.optional(z.string()),
      artifacts: z.optional(z.string()),
    }),
  ),
  gates: z.optional(
    z.object({ passed: z.boolean(), reasons: z.array(z.string()), metrics: z.record(z.string(), z.unknown()) }),
  ),
  approval: z.optional(
    z.object({
      taskToken: z.string(),
      requestedAt: z.string(),
      deadline: z.string(),
      decisions: z._default(z.record(z.string(), DecisionSchema), {}),
      outcome: z.optional(z.enum(['approved', 'rejected', 'expired'])),
    }),
  ),
  laneToken: z.optional(z.string()),
  /** The build's signed provenance, recorded by Gantry when the build ended; Deploy verifies it. */
  provenance: z.optional(RunProvenanceSchema),
  deployment: z.optional(RunDeploymentSchema),
  /**
   * The bake passed: DeployCheck found the group's alarms quiet after the bake time. Its own
   * attribute, written by DeployCheck alone, because ReportSuccess believes it (`stages` is every
   * step's to write).
   */
  baked: z.optional(z.object({ at: z.string(), alarms: z.number() })),
  failure: z.optional(z.object({ stage: z.string(), error: z.string(), reason: z.string() })),
  cancelledBy: z.optional(z.string()),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/**
 * A run as anyone outside the control plane may see it (CLI output, the operator API): the
 * task tokens that resume its waiting steps are left out, since a token plus
 * `states:SendTaskSuccess` answers an approval without `decide()`.
 */
export function publicRun(run: RunRecord): Omit<RunRecord, 'laneToken'> {
  const { laneToken: _lane, approval, deployment, ...rest } = run;
  return {
    ...rest,
    ...(approval ? { approval: withoutToken(approval) } : {}),
    ...(deployment ? { deployment: withoutToken(deployment) } : {}),
  } as Omit<RunRecord, 'laneToken'>;
}

function withoutToken<T extends { taskToken: string }>(value: T): Omit<T, 'taskToken'> {
  const { taskToken: _token, ...rest } = value;
  return rest;
}
