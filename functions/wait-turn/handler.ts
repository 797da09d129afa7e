import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { LaneStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { METRIC, observability } from '../../shared/observability';
import { releaseLane } from '../../shared/pipelines/finish';
import { waitForTurn } from '../../shared/pipelines/start';
import { sweepRuns } from '../../shared/pipelines/sweep';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/**
 * The lane's one keeper: WaitTurn (.waitForTaskToken) parks a queued run until the run ahead of
 * it ends; ReleaseLane, at the end of every run, hands the lane to the next queued run; the
 * scheduled sweep closes runs whose execution ended without closing them and hands their lanes on.
 */
export const handler = stepHandler(o11y, LaneStepInputSchema, async (input) => {
  if ('sweep' in input) {
    const outcome = await sweepRuns(deps);
    // Its own document, with the service dimension only, so one alarm watches every sweep.
    const single = o11y.metrics.singleMetric();
    single.addMetric(METRIC.runsReconciled, MetricUnit.Count, outcome.closed.length);
    single.addMetric(METRIC.runEndsUnsaid, MetricUnit.Count, outcome.unsaid);
    return outcome;
  }
  return 'release' in input
    ? releaseLane(deps, input.plan, input.execution)
    : waitForTurn(deps, input.plan, input.taskToken, input.execution);
});
