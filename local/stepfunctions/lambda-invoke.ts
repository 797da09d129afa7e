import { randomUUID } from 'node:crypto';
import { isJsonObject, type JsonObject, type JsonValue } from '../eventbridge/json';
import type { InvokeOutcome, LambdaInvoker } from '../lambda/types';
import { StatesRuntimeFailure, TaskFailure } from './errors';

/**
 * `arn:aws:states:::lambda:invoke`: Parameters are Lambda's Invoke request; the result is its
 * response with the payload parsed, as the optimized integration returns it. A function error
 * fails the task with the function's errorType as the error, so Retry/Catch match on it.
 */
export async function invokeOptimized(lambda: LambdaInvoker, parameters: JsonValue): Promise<JsonValue> {
  if (!isJsonObject(parameters) || typeof parameters.FunctionName !== 'string') {
    throw new StatesRuntimeFailure('lambda:invoke needs Parameters with a FunctionName string');
  }
  const payload = requestPayload(parameters.Payload);
  const type = parameters.InvocationType;
  if (type === 'Event' || type === 'DryRun') {
    if (type === 'Event') void invoke(lambda, parameters.FunctionName, payload).catch(() => undefined);
    return response(type === 'Event' ? 202 : 204, '');
  }
  const outcome = await invoke(lambda, parameters.FunctionName, payload);
  if (!outcome.ok) throw functionError(outcome);
  return response(200, toJson(outcome.payload));
}

/** A bare function ARN as Resource: the function gets the effective input and its result is the task's. */
export async function invokeFunction(lambda: LambdaInvoker, functionArn: string, input: JsonValue): Promise<JsonValue> {
  const outcome = await invoke(lambda, functionArn, input);
  if (!outcome.ok) throw functionError(outcome);
  return toJson(outcome.payload);
}

async function invoke(lambda: LambdaInvoker, name: string, payload: JsonValue): Promise<InvokeOutcome> {
  try {
    return await lambda.invoke(name, payload);
  } catch (error) {
    throw new TaskFailure('Lambda.ServiceException', error instanceof Error ? error.message : String(error));
  }
}

/** Invoke takes the payload as bytes: a string Parameter is those bytes (JSON text), absent is `{}`. */
function requestPayload(payload: JsonValue | undefined): JsonValue {
  if (payload === undefined) return {};
  if (typeof payload !== 'string') return payload;
  try {
    return JSON.parse(payload) as JsonValue;
  } catch {
    throw new TaskFailure(
      'Lambda.InvalidRequestContentException',
      'Could not parse request body into json: the Payload string is not JSON',
    );
  }
}

function functionError(outcome: Extract<InvokeOutcome, { ok: false }>): TaskFailure {
  const cause = { errorMessage: outcome.errorMessage, errorType: outcome.errorType, trace: [...outcome.trace] };
  return new TaskFailure(outcome.errorType, JSON.stringify(cause));
}

/** The response shape of the optimized integration, with the HTTP metadata the SDK adds on AWS. */
function response(statusCode: number, payload: JsonValue): JsonObject {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Date: new Date().toUTCString(),
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-RequestId': requestId,
  };
  const allHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: { AllHttpHeaders: allHeaders, HttpHeaders: headers, HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: statusCode,
  };
}

/** What the function returned, as JSON (undefined, as from a handler that returns nothing, is null). */
export function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}
