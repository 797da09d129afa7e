import { GatesStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { awsGateDeps } from '../../shared/pipelines/gate-wiring';
import { evaluateRunGates } from '../../shared/pipelines/gates';

const o11y = observability();
const deps = awsGateDeps(o11y);

/** EvaluateGates: tests, coverage and SARIF findings from the build's reports against the pipeline's gates. */
export const handler = stepHandler(o11y, GatesStepInputSchema, ({ plan, build, execution }) =>
  evaluateRunGates(deps, plan, build, execution),
);
