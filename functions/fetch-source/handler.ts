import { SourceStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { fetchSource } from '../../shared/source/fetch';
import { awsSourceDeps } from '../../shared/source/wiring';

const o11y = observability();
const deps = awsSourceDeps(o11y);

/** FetchSource: the run's commit from its provider, stored as the snapshot the build runs from. */
export const handler = stepHandler(o11y, SourceStepInputSchema, ({ plan, execution }) =>
  fetchSource(deps, plan, execution),
);
