import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { PlanRequestSchema } from '../../shared/pipelines/plan';
import { startRun } from '../../shared/pipelines/start';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/** ResolvePlan: the run's plan, its record, its pending commit status, its place in the lane. */
export const handler = stepHandler(o11y, PlanRequestSchema, (request) => startRun(deps, request));
