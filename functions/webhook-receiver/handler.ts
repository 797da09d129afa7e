import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ApiGatewayRequest, useGeneratedCheckers } from '../../events';
import { httpHandler } from '../../shared/lambda/http-handler';
import { DIMENSION, METRIC, observability } from '../../shared/observability';
import { answerApiGatewayDelivery, type HttpOutcome } from '../../shared/webhooks/api-gateway';
import { loadReceiverConfig } from '../../shared/webhooks/env';
import { awsReceiverDeps } from '../../shared/webhooks/receiver';

// Every delivery parses its payload, its events and its ledger record: on generated checkers.
useGeneratedCheckers();
const o11y = observability();
const deps = awsReceiverDeps(loadReceiverConfig(), o11y);

/** POST /webhooks/{provider}: verify, dedupe, normalize and publish one Git provider delivery. */
async function receive(request: ApiGatewayRequest): Promise<APIGatewayProxyResult> {
  const { response, outcome } = await answerApiGatewayDelivery(deps, request);
  count(outcome);
  return response;
}

/** The delivery's outcome as dimensions; each metric flushes on its own so its dimensions stay its own. */
function count(outcome: HttpOutcome): void {
  const deliveries = o11y.metrics.singleMetric();
  if (outcome.kind === 'refused') {
    deliveries.addDimension(DIMENSION.outcome, 'refused').addDimension(DIMENSION.reason, outcome.code);
  } else {
    deliveries.addDimension(DIMENSION.outcome, outcome.kind === 'failed' ? 'failed' : outcome.receipt.outcome);
  }
  deliveries.addMetric(METRIC.deliveries, MetricUnit.Count, 1);
  if (outcome.kind !== 'receipt' || outcome.receipt.outcome !== 'accepted') return;
  o11y.metrics.singleMetric().addMetric(METRIC.eventsPublished, MetricUnit.Count, outcome.receipt.events.length);
  if (outcome.receipt.deadLettered) {
    o11y.metrics.singleMetric().addMetric(METRIC.deliveriesDeadLettered, MetricUnit.Count, 1);
  }
}

export const handler = httpHandler(o11y, receive);
