import { DeployCheckInputSchema } from '../../events';
import { checkBake, reconcileDeployment } from '../../shared/deploy/verify';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/** After the deployment: one GetDeployment when no event came in time, or the alarms at the end of the bake. */
export const handler = stepHandler(
  o11y,
  DeployCheckInputSchema,
  async ({ plan, check }): Promise<unknown> =>
    check === 'reconcile' ? reconcileDeployment(deps, plan) : checkBake(deps, plan),
);
