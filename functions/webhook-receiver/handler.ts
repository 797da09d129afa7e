import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { observability } from '../../shared/observability';
import { answerApiGatewayDelivery, type HttpOutcome } from '../../shared/webhooks/api-gateway';
import { loadReceiverConfig } from '../../shared/webhooks/env';
import { awsReceiverDeps } from '../../shared/webhooks/receiver';

const o11y = observability();
const deps = awsReceiverDeps(loadReceiverConfig(), o11y);
const { logger, metrics, tracer } = o11y;

/** POST /webhooks/{provider}: verify, dedupe, normalize and publish one Git provider delivery. */
async function receive(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { response, outcome } = await answerApiGatewayDelivery(deps, event);
  count(outcome);
  return response;
}

function count(outcome: HttpOutcome): void {
  if (outcome.kind === 'refused') metrics.addMetric(`Refused_${outcome.code}`, MetricUnit.Count, 1);
  if (outcome.kind === 'failed') metrics.addMetric('Failed', MetricUnit.Count, 1);
  if (outcome.kind !== 'receipt') return;
  metrics.addMetric(`Deliveries_${outcome.receipt.outcome}`, MetricUnit.Count, 1);
  if (outcome.receipt.outcome === 'accepted') {
    metrics.addMetric('EventsPublished', MetricUnit.Count, outcome.receipt.events.length);
    if (outcome.receipt.deadLettered) metrics.addMetric('DeliveriesDeadLettered', MetricUnit.Count, 1);
  }
}

export const handler = middy(receive)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics));
