import { FailureStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { recordFailure } from '../../shared/pipelines/finish';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/** RecordFailure: what failed, in words, on the run record and in the audit trail. */
export const handler = stepHandler(o11y, FailureStepInputSchema, ({ plan, stage, failure, execution }) =>
  recordFailure(deps, plan, stage, failure, execution),
);
