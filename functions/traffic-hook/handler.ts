import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LifecycleHookEventSchema } from '../../events';
import { runTrafficHook } from '../../shared/deploy/hook';
import { eventHandler } from '../../shared/lambda/event-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const clients = {
  codeDeploy: new CodeDeployClient({}),
  lambda: new LambdaClient({}),
};

/** CodeDeploy's BeforeAllowTraffic / AfterAllowTraffic hook: the new version must answer /health. */
export const handler = eventHandler(
  o11y,
  LifecycleHookEventSchema,
  async (event) => {
    const result = await runTrafficHook(clients, event);
    o11y.logger.info('traffic hook', { ...result });
    return result;
  },
  { keysOf: (event) => ({ correlationId: event.DeploymentId }) },
);
