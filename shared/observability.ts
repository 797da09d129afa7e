import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { englishMessages } from './zod-messages';

/**
 * Powertools for one function; service name and namespace come from POWERTOOLS_* variables set by
 * the construct. No Powertools Tracer: X-Ray traces come from Lambda's active tracing (each
 * invocation's segment, its initialization, and the API Gateway and Step Functions hops around it).
 * The Tracer's X-Ray SDK, semver and cls-hooked were about 100 KB of every bundle and ~50 ms of
 * every cold start, and cls-hooked put an async hook on every promise even with tracing off;
 * what they added was a subsegment per AWS call (README, "Lambda bundles").
 */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function observability(): Observability {
  englishMessages();
  return { logger: new Logger(), metrics: new Metrics() };
}

/** The CloudWatch namespace of every metric Gantry's functions emit (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'Gantry';

/**
 * Gantry's metric names. What varies (the outcome, the pipeline, the reason) is a dimension,
 * never part of a name, so one alarm or graph covers every value. Powertools adds the dimension
 * `service` (the function's folder under `functions/`) to each.
 */
export const METRIC = {
  /** Every invocation of every function: dimensions {service, Outcome}, or {service, Pipeline, Outcome} for a run's steps. */
  invocations: 'Invocations',
  /** Milliseconds the handler ran, with the same dimensions as Invocations. */
  duration: 'Duration',
  /** Webhook deliveries answered: {service, Outcome}, refusals {service, Outcome, Reason}. */
  deliveries: 'Deliveries',
  /** SourceEvents an accepted delivery put on the bus. */
  eventsPublished: 'EventsPublished',
  /** Accepted deliveries the bus would not take, kept in the webhook dead-letter queue. */
  deliveriesDeadLettered: 'DeliveriesDeadLettered',
  /** Runs the sweeper had to close (their execution ended without closing them): {service}. */
  runsReconciled: 'RunsReconciled',
  /** Closes the sweeper could still not record or announce at its next pass (the ledger or bus refused): {service}. */
  runEndsUnsaid: 'RunEndsUnsaid',
  /** `security.*` records written to the ledger: {Type} only, whichever function wrote them. */
  securityRecords: 'SecurityRecords',
  /** `run.failed` records of runs bound for an environment: {Pipeline, Environment}, whichever function wrote them. */
  releaseRunsFailed: 'ReleaseRunsFailed',
} as const;

/** Dimension names. Every value is bounded: outcomes and reasons are fixed sets, pipelines come from the config. */
export const DIMENSION = {
  service: 'service',
  outcome: 'Outcome',
  pipeline: 'Pipeline',
  reason: 'Reason',
  /** A ledger record's type (`security.*` only: a fixed set). */
  type: 'Type',
  /** A pipeline's environment, from the config. */
  environment: 'Environment',
} as const;

/**
 * How an invocation ended: `failed` when the handler threw or answered 5xx (the control plane
 * could not do its job), `refused` when it answered 4xx (the caller was wrong), else `succeeded`.
 */
export type InvocationOutcome = 'succeeded' | 'refused' | 'failed';
