import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ApiGatewayRequest, ApiGatewayRequestSchema } from '../../events';
import type { Observability } from '../observability';
import { httpOutcome, invalidMessage, observedHandler } from './handler';
import { httpKeysOf } from './run-keys';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** A JSON answer. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The request's body as the bytes that were sent (API Gateway base64-encodes binary media types). */
export function rawBodyOf(request: ApiGatewayRequest): Buffer {
  return Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
}

/** The request's headers with lower-case names (HTTP names are case-insensitive; API Gateway keeps the sender's case). */
export function lowerCaseHeaders(request: ApiGatewayRequest): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * An API Gateway (REST, proxy) handler: the request parsed with `ApiGatewayRequestSchema`, one use
 * case called with it, its answer returned. Every log line carries API Gateway's request id as
 * correlation id and the run the path names; metrics label 4xx refused and 5xx failed. A request
 * API Gateway could not have sent is answered 400.
 */
export function httpHandler(
  o11y: Observability,
  answer: (request: ApiGatewayRequest) => Promise<APIGatewayProxyResult>,
) {
  return observedHandler<unknown, APIGatewayProxyResult>(
    o11y,
    async (event) => {
      const parsed = ApiGatewayRequestSchema.safeParse(event);
      if (!parsed.success) {
        const message = invalidMessage(parsed.error, 'request');
        o11y.logger.warn('request refused', { reason: message });
        return jsonResponse(400, { error: { code: 'invalid_request', message } });
      }
      o11y.logger.appendKeys({ ...httpKeysOf(parsed.data) });
      return answer(parsed.data);
    },
    httpOutcome,
  );
}
