import type { APIGatewayProxyEvent } from 'aws-lambda';
import { httpOutcome, observedHandler } from '../../shared/lambda/handler';
import { observability } from '../../shared/observability';
import { answerOperatorRequest } from '../../shared/operators/operator-api';
import { awsOperatorDeps } from '../../shared/operators/wiring';

const o11y = observability();
const deps = awsOperatorDeps(o11y);

/** The operator API: approvals, cancels and rollbacks from IAM-authenticated operators. */
export const handler = observedHandler(
  o11y,
  async (event: APIGatewayProxyEvent) => answerOperatorRequest(deps, event),
  httpOutcome,
);
