import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { GantryConfig } from '../infra/config/schema';
import { AUDIT_TABLE_NAME, RUNS_TABLE_NAME } from '../infra/constructs/names';
import { consoleApp } from '../shared/console/app';
import { LocalConsoleSessions } from '../shared/console/session';
import { type ClientOptions, consoleReadPorts } from '../shared/console/wiring';
import type { LambdaInvoker } from './lambda/types';
import type { LocalInventory } from './template/inventory';

export const CONSOLE_BASE = '/console';

export interface LocalConsole {
  readonly prefix: string;
  /** The sign-in link's code (the banner prints it in the console's URL). */
  readonly code: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The web console on the front door at /console/: the same app as the Lambda's, reading the
 * local tables, executions and build logs through the edge, and acting through the operator
 * API's own function (its use cases, its refusals, its audit records), as the chosen person.
 */
export function localConsole(options: {
  config: GantryConfig;
  inventory: LocalInventory;
  lambda: LambdaInvoker;
  /** How the console's SDK clients reach the edge (endpoint, region, the session's credentials). */
  clients: ClientOptions;
  pollMs?: number;
}): LocalConsole {
  const operatorArn = options.inventory.apis
    .flatMap((a) => a.routes)
    .find((r) => r.path === '/runs/{runId}/decision')?.functionArn;
  const people = Object.entries(options.config.approvers.identities).map(([identity, person]) => ({
    identity,
    principal: person.principals[0] ?? `arn:aws:iam::000000000000:user/${identity}`,
  }));
  const sessions = new LocalConsoleSessions(people, CONSOLE_BASE);
  const app = consoleApp({
    base: CONSOLE_BASE,
    identity: sessions,
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ports: {
      ...consoleReadPorts(options.clients, {
        runsTable: RUNS_TABLE_NAME,
        auditTable: AUDIT_TABLE_NAME,
        filterLogs: false,
      }),
      operator: async (event) => {
        if (operatorArn === undefined)
          return {
            statusCode: 503,
            body: JSON.stringify({ error: { code: 'no_operator_api', message: 'the template has no operator API' } }),
          };
        const outcome = await options.lambda.invoke(operatorArn, event);
        if (!outcome.ok)
          return {
            statusCode: 502,
            body: JSON.stringify({
              error: { code: 'operator_failed', message: `${outcome.errorType}: ${outcome.errorMessage}` },
            }),
          };
        return outcome.payload as APIGatewayProxyResult;
      },
    },
  });
  const listener = getRequestListener(app.fetch);
  return { prefix: CONSOLE_BASE, code: sessions.code, handle: (req, res) => void listener(req, res) };
}
