import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApiGatewayRequest } from '../../events';
import { WebhookError } from './errors';
import { type IncomingDelivery, type Receipt, type ReceiverDeps, receiveDelivery } from './receive';
import { normalizeHeaders } from './request';

/**
 * The delivery inside an API Gateway (REST, proxy) event. The API treats every media type as
 * binary, so the body arrives base64-encoded and the signed bytes are exactly what was sent.
 */
export function deliveryFromApiGateway(event: ApiGatewayRequest): IncomingDelivery {
  const raw = event.body ?? '';
  return {
    providerSegment: event.pathParameters?.provider ?? '',
    headers: normalizeHeaders({ ...(event.multiValueHeaders ?? {}), ...(event.headers ?? {}) }),
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
  };
}

/** What the handler reports as metrics: the receipt, a refusal code, or an unexpected failure. */
export type HttpOutcome =
  | { readonly kind: 'receipt'; readonly receipt: Receipt }
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'failed'; readonly error: unknown };

/** Receives the delivery in an API Gateway event and answers it; never throws. */
export async function answerApiGatewayDelivery(
  deps: ReceiverDeps,
  event: ApiGatewayRequest,
): Promise<{ readonly response: APIGatewayProxyResult; readonly outcome: HttpOutcome }> {
  try {
    const receipt = await receiveDelivery(deps, deliveryFromApiGateway(event));
    return { response: receiptResponse(receipt), outcome: { kind: 'receipt', receipt } };
  } catch (error) {
    if (error instanceof WebhookError) {
      return {
        response: errorResponse(error.status, error.code, error.message),
        outcome: { kind: 'refused', code: error.code },
      };
    }
    deps.logger.error('unexpected failure', { error });
    return {
      response: errorResponse(500, 'internal_error', 'the delivery could not be processed'),
      outcome: { kind: 'failed', error },
    };
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** 202 for a delivery put on the bus (or safely dead-lettered); 200 for one that needs nothing. */
export function receiptResponse(receipt: Receipt): APIGatewayProxyResult {
  switch (receipt.outcome) {
    case 'accepted':
      return respond(202, { status: 'accepted', deliveryId: receipt.deliveryId, events: receipt.events.length });
    case 'duplicate':
      return respond(200, { status: 'duplicate', deliveryId: receipt.deliveryId });
    case 'ignored':
      return respond(200, { status: 'ignored', deliveryId: receipt.deliveryId, event: receipt.eventName });
  }
}

/** A small JSON error with a stable code; the message never carries a secret or a stack. */
export function errorResponse(status: number, code: string, message: string): APIGatewayProxyResult {
  const headers = status === 503 || status === 409 ? { ...JSON_HEADERS, 'retry-after': '30' } : JSON_HEADERS;
  return { statusCode: status, headers, body: JSON.stringify({ error: { code, message } }) };
}

function respond(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
}
