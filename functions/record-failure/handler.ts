import { type ClosedPlan, type FailureSummary, RecordFailureInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { closeUnplanned, recordFailure } from '../../shared/pipelines/finish';
import { awsFailureDeps } from '../../shared/pipelines/stop-wiring';

const o11y = observability();
const deps = awsFailureDeps(o11y);

/** RecordFailure: what failed, in words, on the run record and in the audit trail; ClosePlanFailure when planning failed. */
export const handler = stepHandler(
  o11y,
  RecordFailureInputSchema,
  (input): Promise<FailureSummary | ClosedPlan> =>
    'unplanned' in input
      ? closeUnplanned(deps, input.unplanned.runId, input.failure, input.execution)
      : recordFailure(deps, input.plan, input.stage, input.failure, input.execution),
);
