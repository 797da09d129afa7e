import { LaneStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { releaseLane } from '../../shared/pipelines/finish';
import { waitForTurn } from '../../shared/pipelines/start';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/**
 * The lane's one keeper: WaitTurn (.waitForTaskToken) parks a queued run until the run ahead of
 * it ends; ReleaseLane, at the end of every run, hands the lane to the next queued run.
 */
export const handler = stepHandler(o11y, LaneStepInputSchema, (input) =>
  'release' in input ? releaseLane(deps, input.plan, input.execution) : waitForTurn(deps, input.plan, input.taskToken),
);
