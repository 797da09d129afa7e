import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Powertools for one function; service name and namespace come from POWERTOOLS_* variables set by the construct. */
export interface Observability {
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly metrics: Metrics;
}

export function observability(): Observability {
  return { logger: new Logger(), tracer: new Tracer(), metrics: new Metrics() };
}

/** Lets X-Ray see every AWS call a client makes (a no-op where tracing is off). */
export function traced<C>(tracer: Tracer, client: C): C {
  return tracer.captureAWSv3Client(client);
}
