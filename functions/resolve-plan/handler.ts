import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ResolveRequestSchema } from '../../events';
import { documentClient } from '../../shared/aws/clients';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability, traced } from '../../shared/observability';
import { PIPELINE_ENV } from '../../shared/pipelines/env';
import { recordUnreadableStart, resolveRun } from '../../shared/pipelines/start';
import { awsPipelineDeps } from '../../shared/pipelines/wiring';
import { DynamoDbDeliveryStore } from '../../shared/webhooks/deliveries';

const o11y = observability();
const deps = {
  ...awsPipelineDeps(o11y),
  admissions: new DynamoDbDeliveryStore(
    documentClient(traced(o11y.tracer, new DynamoDBClient({}))),
    process.env[PIPELINE_ENV.deliveriesTable] ?? '',
  ),
};

/** ResolvePlan: the run's plan, its record, its pending commit status, its place in the lane. */
export const handler = stepHandler(
  o11y,
  ResolveRequestSchema,
  (request) => resolveRun(deps, request),
  (event, message) => recordUnreadableStart(deps, event, message),
);
