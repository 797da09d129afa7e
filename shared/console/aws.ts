import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { awsAuditLedger } from '../audit/wiring';
import type { Observability } from '../observability';
import { OidcTokenVerifier } from '../operators/oidc';
import { CONSOLE_TOKEN_HEADER, type RefusalDeps } from '../operators/operator-api';
import { loadPipelineConfig } from '../pipelines/env';
import { consoleApp } from './app';
import { loadConsoleEnv } from './env';
import { OidcConsoleIdentity } from './oidc-identity';
import type { ConsoleUser } from './ports';
import { consoleRefusalRecorder } from './refusals';
import { consoleReadPorts } from './wiring';

/** Where the console is mounted on its HTTP API. */
export const CONSOLE_BASE = '/console';

/**
 * The console in AWS: the same app as local mode's, reading through the SDK's default chain and
 * signing people in with the configured OIDC issuer. It takes no action itself: it relays each
 * to the operator API's function with the person's ID token, which that function verifies
 * again, so one function alone answers waiting steps and stops runs.
 */
export function awsConsoleApp(o11y: Observability, env: NodeJS.ProcessEnv = process.env) {
  const settings = loadConsoleEnv(env);
  const { runsTable } = loadPipelineConfig(env);
  const identity = new OidcConsoleIdentity(
    new OidcTokenVerifier(settings.verification),
    settings.people,
    settings.signIn,
  );
  const lambda = new LambdaClient({});
  const reads = consoleReadPorts(
    {},
    {
      runsTable,
      auditTable: settings.auditTable,
      filterLogs: true,
      ...(settings.checkpoints ? { checkpoints: settings.checkpoints } : {}),
    },
  );
  const refusals: RefusalDeps = { runs: reads.runs, audit: awsAuditLedger(env), logger: o11y.logger };
  return consoleApp({
    base: CONSOLE_BASE,
    identity,
    stream: false,
    ...(env.AWS_REGION ? { awsConsole: { region: env.AWS_REGION } } : {}),
    ports: {
      ...reads,
      operator: (event, user) => relayToOperatorApi(lambda, settings.operatorFunction, event, user),
      refused: consoleRefusalRecorder(refusals),
    },
  });
}

/**
 * An action as the operator API's function answers it: the event without the console's word on
 * who acts (no requestContext), the person's ID token in its header for the function to verify.
 */
export async function relayToOperatorApi(
  lambda: Pick<LambdaClient, 'send'>,
  functionName: string,
  event: APIGatewayProxyEvent,
  user: ConsoleUser,
): Promise<APIGatewayProxyResult> {
  if (user.token === undefined) throw new Error('the console in AWS acts only for people signed in with a token');
  const { requestContext: _ignored, ...request } = event;
  const relayed = { ...request, headers: { ...request.headers, [CONSOLE_TOKEN_HEADER]: user.token } };
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(relayed)) }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  const result = out.FunctionError === undefined ? httpResultOf(text) : undefined;
  if (result === undefined)
    return {
      statusCode: 502,
      body: JSON.stringify({
        error: {
          code: 'operator_api_failed',
          message: `the operator API failed (${out.FunctionError ?? 'no HTTP answer'}): nothing was done; try again, or see its logs`,
        },
      }),
    };
  return result;
}

function httpResultOf(text: string): APIGatewayProxyResult | undefined {
  try {
    const result = JSON.parse(text) as Partial<APIGatewayProxyResult>;
    return typeof result.statusCode === 'number' && typeof result.body === 'string'
      ? { statusCode: result.statusCode, body: result.body }
      : undefined;
  } catch {
    return undefined;
  }
}
