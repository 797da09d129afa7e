import type { APIGatewayProxyEvent } from 'aws-lambda';
import { awsOperatorDeps } from '../../shared/deploy/wiring';
import { httpOutcome, observedHandler } from '../../shared/lambda/handler';
import { observability } from '../../shared/observability';
import { answerOperatorRequest } from '../../shared/pipelines/operator-api';

const o11y = observability();
const deps = awsOperatorDeps(o11y);

/** The operator API: approvals, cancels and rollbacks from IAM-authenticated operators. */
export const handler = observedHandler(
  o11y,
  async (event: APIGatewayProxyEvent) => answerOperatorRequest(deps, event),
  httpOutcome,
);
