import { DeployStepInputSchema } from '../../events';
import { startDeployment } from '../../shared/deploy/release';
import { awsReleaseDeps } from '../../shared/deploy/release-wiring';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const deps = awsReleaseDeps(o11y);

/**
 * Deploy (.waitForTaskToken): verifies the build's provenance, publishes exactly the attested
 * bytes as a version and starts the CodeDeploy deployment.
 */
export const handler = stepHandler(o11y, DeployStepInputSchema, ({ plan, taskToken, execution }) =>
  startDeployment(deps, plan, taskToken, execution),
);
