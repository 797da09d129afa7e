import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { HookEventSchema, runTrafficHook } from '../../shared/deploy/hook';
import { observedHandler } from '../../shared/lambda/handler';
import { observability, traced } from '../../shared/observability';

const o11y = observability();
const clients = {
  codeDeploy: traced(o11y.tracer, new CodeDeployClient({})),
  lambda: traced(o11y.tracer, new LambdaClient({})),
};

/** CodeDeploy's BeforeAllowTraffic / AfterAllowTraffic hook: the new version must answer /health. */
export const handler = observedHandler(o11y, async (event: unknown) => {
  const result = await runTrafficHook(clients, HookEventSchema.parse(event));
  o11y.logger.info('traffic hook', { ...result });
  return result;
});
