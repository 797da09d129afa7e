import * as z from 'zod/mini';

const optionalStrings = z.nullish(z.record(z.string(), z.optional(z.string())));

/**
 * An API Gateway (REST, proxy) request, as the HTTP functions read it: only the fields they use.
 * Nullable where API Gateway sends `null` (no headers, no path parameters, no body).
 */
export const ApiGatewayRequestSchema = z.object({
  httpMethod: z.string(),
  /** The route as defined (`/runs/{runId}/decision`); absent in hand-made test events. */
  resource: z.optional(z.string()),
  path: z.optional(z.string()),
  headers: optionalStrings,
  multiValueHeaders: z.nullish(z.record(z.string(), z.optional(z.array(z.string())))),
  pathParameters: optionalStrings,
  queryStringParameters: optionalStrings,
  body: z.nullish(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
  requestContext: z.optional(
    z.object({
      requestId: z.optional(z.string()),
      /** The IAM principal API Gateway's authorizer names (the operator API); only a claim until proven. */
      identity: z.optional(z.partial(z.object({ userArn: z.nullish(z.string()) }))),
    }),
  ),
});
export type ApiGatewayRequest = z.infer<typeof ApiGatewayRequestSchema>;

/** A scheduled event (EventBridge Scheduler or a rate rule): only its time is read, when it has one. */
export const ScheduledEventSchema = z.looseObject({ time: z.optional(z.string()) });
export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
