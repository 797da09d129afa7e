import { handle } from 'hono/aws-lambda';
import { awsConsoleApp } from '../../shared/console/aws';
import { observability } from '../../shared/observability';

const o11y = observability();

/**
 * The web console behind the HTTP API: pages, JSON and actions as the person whose OIDC token
 * the app itself verifies (the JWT authorizer is a first layer only).
 */
export const handler = handle(awsConsoleApp(o11y));
