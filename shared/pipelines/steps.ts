import { z } from 'zod';
import { RunPlanSchema } from './plan';

/** The inputs of each pipeline step, as the state machine passes them (schemas first). */
export const PlanOnlyInputSchema = z.object({ plan: RunPlanSchema });

export const TokenStepInputSchema = z.object({ plan: RunPlanSchema, taskToken: z.string().min(1) });

export const GatesStepInputSchema = z.object({
  plan: RunPlanSchema,
  build: z.object({
    id: z.string(),
    status: z.string(),
    artifacts: z.string().optional(),
    logGroup: z.string().optional(),
    logStream: z.string().optional(),
    startTime: z.union([z.number(), z.string()]).optional(),
    endTime: z.union([z.number(), z.string()]).optional(),
  }),
});

/** `$$.Execution.Id`: set by Step Functions from the context object, never by the input. */
const ExecutionIdSchema = z.string().min(1);

/** RecordProvenance: the build's id only; everything else is read from CodeBuild and the run record. */
export const ProvenanceStepInputSchema = z.object({
  plan: RunPlanSchema,
  build: z.object({ id: z.string().min(1) }),
  execution: ExecutionIdSchema,
});

export const FailureStepInputSchema = z.object({
  plan: RunPlanSchema,
  execution: ExecutionIdSchema,
  stage: z.string(),
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

export const ReportStepInputSchema = z.object({
  plan: RunPlanSchema,
  execution: ExecutionIdSchema,
  outcome: z.enum(['success', 'failure']),
  failure: z.object({ stage: z.string(), error: z.string(), reason: z.string() }).optional(),
});

/** ReleaseLane: the ended run's plan (a pointer) and its execution. */
export const ReleaseLaneInputSchema = z.object({
  plan: RunPlanSchema,
  execution: ExecutionIdSchema,
  release: z.literal('lane'),
});

/** The wait-turn function's two steps: park a queued run (WaitTurn), or hand on an ended run's lane. */
export const LaneStepInputSchema = z.union([TokenStepInputSchema, ReleaseLaneInputSchema]);

/**
 * Deploy (.waitForTaskToken): the plan and the token. What to release is read from the run
 * record (its pinned provenance), never from the state's input.
 */
export const DeployStepInputSchema = z.object({
  plan: RunPlanSchema,
  taskToken: z.string().min(1),
  execution: ExecutionIdSchema,
});

/** After the deploy: reconcile a timed-out wait, or check the alarms at the end of the bake. */
export const DeployCheckInputSchema = z.object({ plan: RunPlanSchema, check: z.enum(['reconcile', 'bake']) });
