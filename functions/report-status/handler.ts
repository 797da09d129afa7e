import { ReportStatusInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { finishRun, reportEnded } from '../../shared/pipelines/finish';
import { awsAuthorityDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsAuthorityDeps(o11y);

/**
 * ReportStatus: the commit status back to the provider, and the run closed, as its record says;
 * or, from the bus, the status of a run that ended without reaching this step (cancel, sweep).
 */
export const handler = stepHandler(o11y, ReportStatusInputSchema, (input) =>
  'ended' in input ? reportEnded(deps, input.ended.runId) : finishRun(deps, input.plan, input.outcome, input.execution),
);
