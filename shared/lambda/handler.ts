import { performance } from 'node:perf_hooks';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type * as z from 'zod/mini';
import { firstIssue } from '../../events';
import { DIMENSION, type InvocationOutcome, METRIC, type Observability } from '../observability';

/** What the handler learned about the invocation that labels its metrics. */
export interface InvocationLabels {
  /** The run's pipeline, once the input is parsed: a name from the config, so a bounded dimension. */
  pipeline?: string;
}

/**
 * Every Gantry function's handler: Powertools logger (keys appended during one invocation are
 * dropped after it) and metrics, plus one Invocations and one Duration metric per
 * invocation, labelled by outcome (and pipeline, when the handler names one). A handler that
 * throws is logged once with the invocation's keys, then fails as it would have.
 */
export function observedHandler<E, R>(
  o11y: Observability,
  run: (event: E, labels: InvocationLabels) => Promise<R>,
  outcomeOf: (result: R) => InvocationOutcome = () => 'succeeded',
) {
  const observed = async (event: E): Promise<R> => {
    const labels: InvocationLabels = {};
    const started = performance.now();
    let outcome: InvocationOutcome = 'failed';
    try {
      const result = await run(event, labels);
      outcome = outcomeOf(result);
      return result;
    } catch (error) {
      o11y.logger.error('invocation failed', { error: errorSummary(error) });
      throw error;
    } finally {
      recordInvocation(o11y.metrics, outcome, performance.now() - started, labels);
    }
  };
  return middy(observed)
    .use(injectLambdaContext(o11y.logger, { resetKeys: true }))
    .use(logMetrics(o11y.metrics, { captureColdStartMetric: true }));
}

/** An HTTP answer's outcome: 5xx failed, 4xx refused, anything else succeeded. */
export function httpOutcome(response: { readonly statusCode: number }): InvocationOutcome {
  if (response.statusCode >= 500) return 'failed';
  return response.statusCode >= 400 ? 'refused' : 'succeeded';
}

/**
 * Adds the invocation's metrics; logMetrics flushes them (as EMF on the function's log) when the
 * handler returns. One dimension set each: {service, Outcome}, or {service, Pipeline, Outcome} for
 * a run's step (two sets sharing Outcome would make Powertools warn on every invocation).
 */
export function recordInvocation(
  metrics: Metrics,
  outcome: InvocationOutcome,
  durationMs: number,
  labels: InvocationLabels = {},
): void {
  if (labels.pipeline) metrics.addDimension(DIMENSION.pipeline, labels.pipeline);
  metrics.addDimension(DIMENSION.outcome, outcome);
  metrics.addMetric(METRIC.invocations, MetricUnit.Count, 1);
  metrics.addMetric(METRIC.duration, MetricUnit.Milliseconds, durationMs);
}

/** The error's name and message (messages are written to be safe to show; stacks stay out of the log). */
function errorSummary(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

/** The first issue, as `invalid event at a.b: message`: enough to find the bug, never the event's content. */
export function invalidMessage(error: z.core.$ZodError, what = 'event'): string {
  return `invalid ${what} ${firstIssue(error.issues)}`;
}
