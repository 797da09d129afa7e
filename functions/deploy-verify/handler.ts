import { DeployCheckInputSchema } from '../../events';
import { bakeUntil, checkBake, reconcileDeployment } from '../../shared/deploy/verify';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/** After the deployment: one GetDeployment when no event came in time, when the bake ends, or the alarms at its end. */
export const handler = stepHandler(
  o11y,
  DeployCheckInputSchema,
  async ({ plan, check, execution }): Promise<unknown> => {
    if (check === 'reconcile') return reconcileDeployment(deps, plan, execution);
    return check === 'bake-start' ? bakeUntil(deps, plan, execution) : checkBake(deps, plan, execution);
  },
);
