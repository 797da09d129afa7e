import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { GantryConfig } from '../infra/config/schema';
import {
  AUDIT_CHECKPOINT_KEY_ALIAS,
  AUDIT_TABLE_NAME,
  auditCheckpointsBucketName,
  RUNS_TABLE_NAME,
} from '../shared/config/names';
import { consoleApp } from '../shared/console/app';
import { LocalConsoleSessions } from '../shared/console/session';
import { type ClientOptions, consoleReadPorts } from '../shared/console/wiring';
import { CALLER_PROOF_HEADER, operatorAudience, signCallerProof } from '../shared/operators/caller-proof';
import type { IdentityRegistry } from './edge/identity';
import type { LambdaInvoker } from './lambda/types';
import { type LocalInventory, operatorApiUrlOf } from './template/inventory';

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
  /** Issues the signed-in person's credentials, with which the console proves who acts (no bypass). */
  identity: IdentityRegistry;
  /** The local account, naming the checkpoints' bucket the ledger's verification checks. @default chains only */
  accountId?: string;
  pollMs?: number;
}): LocalConsole {
  // The operator API's URL as the template names it: the audience of every proof the console signs.
  const api = operatorApiUrlOf(options.inventory);
  const audience = api === undefined ? undefined : operatorAudience(api);
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
        ...(options.accountId && options.clients.region
          ? {
              checkpoints: {
                keyId: AUDIT_CHECKPOINT_KEY_ALIAS,
                bucket: auditCheckpointsBucketName(options.accountId, options.clients.region),
              },
            }
          : {}),
      }),
      operator: async (event) => {
        if (operatorArn === undefined)
          return {
            statusCode: 503,
            body: JSON.stringify({ error: { code: 'no_operator_api', message: 'the template has no operator API' } }),
          };
        const outcome = await options.lambda.invoke(operatorArn, await proven(event, { ...options, audience }));
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

/**
 * The console acts as the person signed in to it: it signs the request's caller proof with
 * credentials the edge issues for that person, as the CLI does for `--as`.
 */
async function proven(
  event: APIGatewayProxyEvent,
  options: { clients: ClientOptions; identity: IdentityRegistry; audience: string | undefined },
): Promise<APIGatewayProxyEvent> {
  const principal = event.requestContext.identity.userArn;
  const { endpoint, region } = options.clients;
  if (!principal || !endpoint || !region || options.audience === undefined) return event;
  const proof = await signCallerProof({
    credentials: options.identity.issueFor(principal),
    region,
    stsEndpoint: endpoint,
    audience: options.audience,
    method: event.httpMethod,
    path: event.path,
    body: event.body ?? '',
    query: event.queryStringParameters,
  });
  return { ...event, headers: { ...event.headers, [CALLER_PROOF_HEADER]: proof } };
}
