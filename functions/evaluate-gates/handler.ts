import { GatesStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { evaluateRunGates } from '../../shared/pipelines/gates';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/** EvaluateGates: tests, coverage and SARIF findings from the build's reports against the pipeline's gates. */
export const handler = stepHandler(o11y, GatesStepInputSchema, ({ plan, build, execution }) =>
  evaluateRunGates(deps, plan, build, execution),
);
