import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { cancel, OperatorActionError, rollback } from '../deploy/operator';
import type { DeployDeps } from '../deploy/release';
import { DecisionError, decide } from './approval';

const DecisionBodySchema = z.object({ decision: z.enum(['approve', 'reject']), reason: z.string().max(2000) });
const CancelBodySchema = z.object({ reason: z.string().max(2000) });
const RollbackBodySchema = z
  .object({
    runId: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    pipeline: z.string().min(1).optional(),
    reason: z.string().max(2000),
  })
  .refine((b) => (b.runId === undefined) !== (b.environment === undefined), 'name a run or an environment');

/**
 * The IAM-authorized operator API: POST /runs/{runId}/decision, /runs/{runId}/cancel and
 * /rollbacks. The operator is the caller's IAM principal as API Gateway's authorizer established
 * it (`requestContext.identity.userArn`), never a name the caller typed.
 */
export async function answerOperatorRequest(
  deps: DeployDeps,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const principal = event.requestContext?.identity?.userArn;
  if (!principal) return json(403, { error: { code: 'no_principal', message: 'the request carries no IAM identity' } });
  const runId = event.pathParameters?.runId ?? '';
  if (event.httpMethod === 'POST' && event.resource === '/runs/{runId}/cancel') {
    return operatorAction(deps, event, CancelBodySchema, 'send {"reason": "…"}', (b) =>
      cancel(deps, { runId, principal, reason: b.reason }),
    );
  }
  if (event.httpMethod === 'POST' && event.resource === '/rollbacks') {
    return operatorAction(deps, event, RollbackBodySchema, 'send {"runId" or "environment", "reason": "…"}', (b) =>
      rollback(deps, { ...b, principal }),
    );
  }
  if (event.resource !== '/runs/{runId}/decision' || event.httpMethod !== 'POST') {
    return json(404, {
      error: { code: 'not_found', message: `${event.httpMethod} ${event.resource} is not an operator operation` },
    });
  }
  const body = parseBody(event, DecisionBodySchema);
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

async function operatorAction<S extends z.ZodType>(
  deps: DeployDeps,
  event: APIGatewayProxyEvent,
  schema: S,
  usage: string,
  action: (body: z.infer<S>) => Promise<unknown>,
): Promise<APIGatewayProxyResult> {
  const body = parseBody(event, schema);
  if (body === undefined) return json(400, { error: { code: 'bad_request', message: usage } });
  try {
    const outcome = await action(body);
    deps.logger.info('operator action accepted', { resource: event.resource, outcome });
    return json(200, outcome);
  } catch (error) {
    if (!(error instanceof OperatorActionError)) throw error;
    deps.logger.warn('operator action refused', { resource: event.resource, code: error.code });
    return json(error.status, { error: { code: error.code, message: error.message } });
  }
}

function parseBody<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> | undefined {
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
