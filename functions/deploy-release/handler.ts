import { startDeployment } from '../../shared/deploy/release';
import { awsDeployDeps } from '../../shared/deploy/wiring';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { DeployStepInputSchema } from '../../shared/pipelines/steps';

const o11y = observability();
const deps = awsDeployDeps(o11y);

/** Deploy (.waitForTaskToken): publishes the build as a version and starts the CodeDeploy deployment. */
export const handler = stepHandler(o11y, DeployStepInputSchema, ({ plan, build, taskToken }) =>
  startDeployment(deps, plan, build, taskToken),
);
