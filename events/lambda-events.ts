import * as z from 'zod';

const optionalStrings = z.record(z.string(), z.string().optional()).nullish();

/**
 * An API Gateway (REST, proxy) request, as the HTTP functions read it: only the fields they use.
 * Nullable where API Gateway sends `null` (no headers, no path parameters, no body).
 */
export const ApiGatewayRequestSchema = z.object({
  httpMethod: z.string(),
  /** The route as defined (`/runs/{runId}/decision`); absent in hand-made test events. */
  resource: z.string().optional(),
  path: z.string().optional(),
  headers: optionalStrings,
  multiValueHeaders: z.record(z.string(), z.array(z.string()).optional()).nullish(),
  pathParameters: optionalStrings,
  queryStringParameters: optionalStrings,
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z
    .object({
      requestId: z.string().optional(),
      /** The IAM principal API Gateway's authorizer names (the operator API); only a claim until proven. */
      identity: z.object({ userArn: z.string().nullish() }).partial().optional(),
    })
    .optional(),
});
export type ApiGatewayRequest = z.infer<typeof ApiGatewayRequestSchema>;

/** A scheduled event (EventBridge Scheduler or a rate rule): only its time is read, when it has one. */
export const ScheduledEventSchema = z.looseObject({ time: z.string().optional() });
export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
