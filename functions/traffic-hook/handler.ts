import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import { HookEventSchema, runTrafficHook } from '../../shared/deploy/hook';
import { observability, traced } from '../../shared/observability';

const o11y = observability();
const clients = {
  codeDeploy: traced(o11y.tracer, new CodeDeployClient({})),
  lambda: traced(o11y.tracer, new LambdaClient({})),
};

/** CodeDeploy's BeforeAllowTraffic / AfterAllowTraffic hook: the new version must answer /health. */
export const handler = middy(async (event: unknown) => {
  const result = await runTrafficHook(clients, HookEventSchema.parse(event));
  o11y.logger.info('traffic hook', { ...result });
  return result;
})
  .use(injectLambdaContext(o11y.logger))
  .use(captureLambdaHandler(o11y.tracer))
  .use(logMetrics(o11y.metrics));
