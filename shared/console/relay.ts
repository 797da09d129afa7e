import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CONSOLE_TOKEN_HEADER } from '../operators/operator-api';
import type { ConsoleUser } from './ports';

/** How the console in AWS hands an action to the operator API. */
export type OperatorRelay = (event: APIGatewayProxyEvent, user: ConsoleUser) => Promise<APIGatewayProxyResult>;

/** The relay to the operator API's function, over its own Lambda client. */
export function lambdaRelay(functionName: string, lambda = new LambdaClient({})): OperatorRelay {
  return (event, user) => relayToOperatorApi(lambda, functionName, event, user);
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
