import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { observability } from '../../shared/observability';
import { answerOperatorRequest } from '../../shared/pipelines/operator-api';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';

const o11y = observability();
const deps = awsPipelineDeps(o11y);

/** The operator API: approval decisions from IAM-authenticated operators. */
export const handler = middy((event: APIGatewayProxyEvent) => answerOperatorRequest(deps, event))
  .use(injectLambdaContext(o11y.logger))
  .use(captureLambdaHandler(o11y.tracer))
  .use(logMetrics(o11y.metrics));
