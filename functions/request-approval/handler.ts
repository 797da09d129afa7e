import { ApprovalStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { requestApproval } from '../../shared/pipelines/approval';
import { awsAuthorityDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsAuthorityDeps(o11y);

/** Approval (.waitForTaskToken): parks the run's token with the run and announces the request. */
export const handler = stepHandler(o11y, ApprovalStepInputSchema, ({ plan, taskToken, execution }) =>
  requestApproval(deps, plan, taskToken, execution),
);
