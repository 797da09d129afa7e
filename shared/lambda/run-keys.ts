import * as z from 'zod/mini';

/** The ids that tie a log line to one change and one run. */
export interface RunKeys {
  /** The Git provider's delivery id: the correlation id from the webhook receiver onwards. */
  readonly deliveryId?: string;
  readonly runId?: string;
  /** The pipeline's name from the config. */
  readonly pipeline?: string;
  /** What ties an invocation to its cause when no delivery does: the EventBridge event's or the HTTP request's id. */
  readonly correlationId?: string;
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

/** An EventBridge event: its id, and the run its detail names (Gantry's run events carry `runId`). */
const BusEventSchema = z.object({
  id: z.string(),
  detail: z.optional(z.object({ runId: z.optional(z.string()), deliveryId: z.optional(z.string()) })),
});

/** The keys of an EventBridge event: its id as correlation id, and the run (and delivery) its detail names. */
export function busEventKeysOf(event: unknown): RunKeys {
  const parsed = BusEventSchema.safeParse(event);
  if (!parsed.success) return {};
  const { id, detail } = parsed.data;
  return { correlationId: id, ...definedOnly({ runId: detail?.runId, deliveryId: detail?.deliveryId }) };
}

/** The keys of an API Gateway request: API Gateway's request id as correlation id, and the run its path names. */
export function httpKeysOf(request: {
  readonly requestContext?: { readonly requestId?: string } | undefined;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null | undefined;
}): RunKeys {
  return definedOnly({ correlationId: request.requestContext?.requestId, runId: request.pathParameters?.runId });
}

function definedOnly(keys: Record<string, string | undefined>): RunKeys {
  return Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined && v !== ''));
}
