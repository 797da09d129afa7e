import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { onStateChangeEvent } from '../../shared/deploy/release';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/** CodeDeploy's deployment state-change events (default bus): resumes the run whose deployment ended. */
export const handler = middy(async (event: unknown) => {
  const outcome = await onStateChangeEvent(deps, event);
  o11y.logger.info('deployment event handled', { outcome });
  return { outcome };
})
  .use(injectLambdaContext(o11y.logger))
  .use(captureLambdaHandler(o11y.tracer))
  .use(logMetrics(o11y.metrics));
