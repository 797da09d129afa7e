import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { awsOperatorDeps } from '../../shared/deploy/wiring';
import { observability } from '../../shared/observability';
import { answerOperatorRequest } from '../../shared/pipelines/operator-api';

const o11y = observability();
const deps = awsOperatorDeps(o11y);

/** The operator API: approvals, cancels and rollbacks from IAM-authenticated operators. */
export const handler = middy((event: APIGatewayProxyEvent) => answerOperatorRequest(deps, event))
  .use(injectLambdaContext(o11y.logger))
  .use(captureLambdaHandler(o11y.tracer))
  .use(logMetrics(o11y.metrics));
