import { ReportStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { finishRun } from '../../shared/pipelines/finish';
import { awsAuthorityDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsAuthorityDeps(o11y);

/** ReportStatus: the commit status back to the provider, and the run closed, as its record says. */
export const handler = stepHandler(o11y, ReportStepInputSchema, ({ plan, outcome, execution }) =>
  finishRun(deps, plan, outcome, execution),
);
