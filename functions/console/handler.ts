import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { awsConsoleApp } from '../../shared/console/aws';
import { httpOutcome, observedHandler } from '../../shared/lambda/handler';
import { observability } from '../../shared/observability';

const o11y = observability();
const serve = handle(awsConsoleApp(o11y));

/**
 * The web console behind the HTTP API: pages, JSON and actions as the person whose OIDC token
 * the app itself verifies (the JWT authorizer is a first layer only).
 */
export const handler = observedHandler(o11y, (event: LambdaEvent) => serve(event), httpOutcome);
