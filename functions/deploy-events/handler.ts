import { onStateChangeEvent } from '../../shared/deploy/events';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { observedHandler } from '../../shared/lambda/handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/** CodeDeploy's deployment state-change events (default bus): resumes the run whose deployment ended. */
export const handler = observedHandler(o11y, async (event: unknown) => {
  const outcome = await onStateChangeEvent(deps, event);
  o11y.logger.info('deployment event handled', { outcome });
  return { outcome };
});
