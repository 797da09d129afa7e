import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { IncomingDelivery, Receipt } from './receive';
import { normalizeHeaders } from './request';

/**
 * The delivery inside an API Gateway (REST, proxy) event. The API treats every media type as
 * binary, so the body arrives base64-encoded and the signed bytes are exactly what was sent.
 */
export function deliveryFromApiGateway(event: APIGatewayProxyEvent): IncomingDelivery {
  const raw = event.body ?? '';
  return {
    providerSegment: event.pathParameters?.provider ?? '',
    headers: normalizeHeaders({ ...(event.multiValueHeaders ?? {}), ...(event.headers ?? {}) }),
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
  };
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
