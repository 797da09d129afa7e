import * as z from 'zod';

/** The ids that tie a log line to one change and one run. */
export interface RunKeys {
  /** The Git provider's delivery id: the correlation id from the webhook receiver onwards. */
  readonly deliveryId?: string;
  readonly runId?: string;
  /** The pipeline's name from the config. */
  readonly pipeline?: string;
}

/** Every step after ResolvePlan: the plan it wrote. */
const PlanStepSchema = z.object({
  plan: z.object({ runId: z.string(), pipeline: z.string(), change: z.object({ deliveryId: z.string() }) }),
});

/** ResolvePlan: the pipeline from the definition, the run named by the execution (or the operator's run id). */
const ResolveStepSchema = z.object({
  pipeline: z.object({ name: z.string() }),
  execution: z.object({ name: z.string() }),
  start: z.union([
    z.object({ rollback: z.object({ runId: z.string() }) }),
    z.object({ retry: z.object({ runId: z.string() }) }),
    z.object({ source: z.object({ deliveryId: z.string() }) }),
  ]),
});

/** The run keys a step's (already validated) input carries; none for inputs that are not a run's. */
export function runKeysOf(input: unknown): RunKeys {
  const step = PlanStepSchema.safeParse(input);
  if (step.success) {
    const { plan } = step.data;
    return { deliveryId: plan.change.deliveryId, runId: plan.runId, pipeline: plan.pipeline };
  }
  const resolve = ResolveStepSchema.safeParse(input);
  if (!resolve.success) return {};
  const { pipeline, execution, start } = resolve.data;
  if ('rollback' in start) return { runId: start.rollback.runId, pipeline: pipeline.name };
  if ('retry' in start) return { runId: start.retry.runId, pipeline: pipeline.name };
  return { deliveryId: start.source.deliveryId, runId: execution.name, pipeline: pipeline.name };
}
