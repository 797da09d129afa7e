import * as z from 'zod';
import { RunPlanSchema, RunProvenanceSchema } from '../../events';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING'];

export const StageSchema = z.object({
  status: z.enum(['running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  summary: z.string().optional(),
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
  fromVersion: z.string().nullable(),
  toVersion: z.string(),
  deploymentId: z.string().optional(),
  status: z.enum(DEPLOYMENT_STATUSES),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  reason: z.string().optional(),
  /** Whether traffic went back to `fromVersion` (automatically or by a stop). */
  rolledBack: z.boolean().optional(),
  /** An operator's stop, in their words: the reason the run fails with, whichever path closes it. */
  stopRequested: z.string().optional(),
  /** When the Deploy task was told how the deployment ended (after `endedAt`: the two are two writes). */
  answeredAt: z.string().optional(),
});
export type RunDeployment = z.infer<typeof RunDeploymentSchema>;

/** One run of a pipeline, as operators list it and compliance staff trace it. */
export const RunRecordSchema = z.object({
  kind: z.literal('run').default('run'),
  runId: z.string(),
  pipeline: z.string(),
  trigger: z.string(),
  repository: z.string(),
  commit: z.string(),
  branch: z.string().nullable(),
  environment: z.string().nullable(),
  lane: z.string(),
  status: z.enum(RUN_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().optional(),
  executionArn: z.string(),
  plan: RunPlanSchema,
  stages: z.record(z.string(), StageSchema).default({}),
  build: z
    .object({
      id: z.string(),
      status: z.string(),
      logGroup: z.string().optional(),
      logStream: z.string().optional(),
      artifacts: z.string().optional(),
    })
    .optional(),
  gates: z
    .object({ passed: z.boolean(), reasons: z.array(z.string()), metrics: z.record(z.string(), z.unknown()) })
    .optional(),
  approval: z
    .object({
      taskToken: z.string(),
      requestedAt: z.string(),
      deadline: z.string(),
      decisions: z.record(z.string(), DecisionSchema).default({}),
      outcome: z.enum(['approved', 'rejected', 'expired']).optional(),
    })
    .optional(),
  laneToken: z.string().optional(),
  /** The build's signed provenance, recorded by Gantry when the build ended; Deploy verifies it. */
  provenance: RunProvenanceSchema.optional(),
  deployment: RunDeploymentSchema.optional(),
  failure: z.object({ stage: z.string(), error: z.string(), reason: z.string() }).optional(),
  cancelledBy: z.string().optional(),
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
