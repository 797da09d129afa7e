import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { waitForTurn } from '../../shared/pipelines/start';
import { TokenStepInputSchema } from '../../shared/pipelines/steps';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/** WaitTurn (.waitForTaskToken): a queued run parks until the run ahead of it in its lane ends. */
export const handler = stepHandler(o11y, TokenStepInputSchema, ({ plan, taskToken }) =>
  waitForTurn(deps, plan, taskToken),
);
