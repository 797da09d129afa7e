import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { observability } from '../../shared/observability';
import { deliveryFromApiGateway, errorResponse, receiptResponse } from '../../shared/webhooks/api-gateway';
import { loadReceiverConfig } from '../../shared/webhooks/env';
import { WebhookError } from '../../shared/webhooks/errors';
import { receiveDelivery } from '../../shared/webhooks/receive';
import { awsReceiverDeps } from '../../shared/webhooks/receiver';

const o11y = observability();
const deps = awsReceiverDeps(loadReceiverConfig(), o11y);
const { logger, metrics } = o11y;

/** POST /webhooks/{provider}: verify, dedupe, normalize and publish one Git provider delivery. */
async function receive(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const receipt = await receiveDelivery(deps, deliveryFromApiGateway(event));
    metrics.addMetric(`Deliveries_${receipt.outcome}`, MetricUnit.Count, 1);
    if (receipt.outcome === 'accepted') metrics.addMetric('EventsPublished', MetricUnit.Count, receipt.events.length);
    return receiptResponse(receipt);
  } catch (error) {
    if (error instanceof WebhookError) {
      metrics.addMetric(`Rejected_${error.code}`, MetricUnit.Count, 1);
      return errorResponse(error.status, error.code, error.message);
    }
    logger.error('unexpected failure', { error: error instanceof Error ? error.name : 'unknown' });
    return errorResponse(500, 'internal_error', 'the delivery could not be processed');
  }
}

export const handler = middy(receive)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(o11y.tracer))
  .use(logMetrics(metrics));
