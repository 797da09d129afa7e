import type { APIGatewayProxyEvent } from 'aws-lambda';
import { httpOutcome, observedHandler } from '../../shared/lambda/handler';
import { observability } from '../../shared/observability';
import { answerOperatorRequest } from '../../shared/operators/operator-api';
import { awsCallerVerifier, awsOperatorDeps } from '../../shared/operators/wiring';

const o11y = observability();
const deps = awsOperatorDeps(o11y);
const callers = awsCallerVerifier();

/** The operator API: approvals, cancels and rollbacks from operators who prove who they are (STS). */
export const handler = observedHandler(
  o11y,
  async (event: APIGatewayProxyEvent) => answerOperatorRequest(deps, event, callers),
  httpOutcome,
);
