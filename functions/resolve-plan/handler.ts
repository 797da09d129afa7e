import { ResolveRequestSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { recordUnreadableStart, resolveRun } from '../../shared/pipelines/start';
import { awsResolveDeps } from '../../shared/pipelines/stop-wiring';

const o11y = observability();
const deps = awsResolveDeps(o11y);

/** ResolvePlan: the run's plan, its record, its pending commit status, its place in the lane. */
export const handler = stepHandler(
  o11y,
  ResolveRequestSchema,
  (request) => resolveRun(deps, request),
  (event, message) => recordUnreadableStart(deps, event, message),
);
