import { ReportStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { finishRun } from '../../shared/pipelines/finish';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/** ReportStatus: the commit status back to the provider, and the run closed. */
export const handler = stepHandler(o11y, ReportStepInputSchema, ({ plan, outcome, failure, execution }) =>
  finishRun(deps, plan, outcome, failure, execution),
);
