import { DeploymentStateChangeSchema } from '../../events';
import { onStateChangeEvent } from '../../shared/deploy/events';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { eventHandler } from '../../shared/lambda/event-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/** CodeDeploy's deployment state-change events (default bus): resumes the run whose deployment ended. */
export const handler = eventHandler(
  o11y,
  DeploymentStateChangeSchema,
  async (event) => {
    const outcome = await onStateChangeEvent(deps, event);
    o11y.logger.info('deployment event handled', { outcome });
    return { outcome };
  },
  { unmatched: () => ({ outcome: 'ignored: not a CodeDeploy state-change event' }) },
);
