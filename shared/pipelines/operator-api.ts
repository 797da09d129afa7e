import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { DecisionError, decide } from './approval';
import type { PipelineDeps } from './ports';

const DecisionBodySchema = z.object({ decision: z.enum(['approve', 'reject']), reason: z.string().max(2000) });

/**
 * POST /runs/{runId}/decision on the IAM-authorized operator API. The approver is the caller's
 * IAM principal as API Gateway's authorizer established it (`requestContext.identity.userArn`).
 */
export async function answerOperatorRequest(
  deps: PipelineDeps,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const principal = event.requestContext?.identity?.userArn;
  if (!principal) return json(403, { error: { code: 'no_principal', message: 'the request carries no IAM identity' } });
  const runId = event.pathParameters?.runId ?? '';
  if (event.resource !== '/runs/{runId}/decision' || event.httpMethod !== 'POST') {
    return json(404, {
      error: { code: 'not_found', message: `${event.httpMethod} ${event.resource} is not an operator operation` },
    });
  }
  const body = parseBody(event);
  if (body === undefined)
    return json(400, {
      error: { code: 'bad_request', message: 'send {"decision": "approve"|"reject", "reason": "…"}' },
    });
  try {
    const outcome = await decide(deps, { runId, principal, decision: body.decision, reason: body.reason });
    deps.logger.info('decision accepted', { runId, principal, decision: body.decision, outcome: outcome.outcome });
    return json(200, outcome);
  } catch (error) {
    if (!(error instanceof DecisionError)) throw error;
    deps.logger.warn('decision refused', { runId, principal, code: error.code });
    return json(error.status, { error: { code: error.code, message: error.message } });
  }
}

function parseBody(event: APIGatewayProxyEvent): z.infer<typeof DecisionBodySchema> | undefined {
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const parsed = DecisionBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
