import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { DecisionError, decide } from '../pipelines/approval';
import type { RunRecord } from '../runs/model';
import { subjectOf } from '../runs/subjects';
import { cancel, OperatorActionError, type OperatorDeps, retry, rollback } from './actions';

const DecisionBodySchema = z.object({ decision: z.enum(['approve', 'reject']), reason: z.string().max(2000) });
/** Cancel and retry: only why. */
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
 * The IAM-authorized operator API: POST /runs/{runId}/decision, /runs/{runId}/cancel,
 * /runs/{runId}/retry and /rollbacks. The operator is the caller's IAM principal as API Gateway's authorizer established
 * it (`requestContext.identity.userArn`), never a name the caller typed.
 */
export async function answerOperatorRequest(
  deps: OperatorDeps,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const principal = event.requestContext?.identity?.userArn;
  if (!principal) return json(403, { error: { code: 'no_principal', message: 'the request carries no IAM identity' } });
  const runId = event.pathParameters?.runId ?? '';
  const call = { deps, event, principal, runId };
  if (event.httpMethod === 'POST' && event.resource === '/runs/{runId}/cancel') {
    return operatorAction(call, 'cancel', CancelBodySchema, 'send {"reason": "…"}', (b) =>
      cancel(deps, { runId, principal, reason: b.reason }),
    );
  }
  if (event.httpMethod === 'POST' && event.resource === '/runs/{runId}/retry') {
    return operatorAction(call, 'retry', CancelBodySchema, 'send {"reason": "…"}', (b) =>
      retry(deps, { runId, principal, reason: b.reason }),
    );
  }
  if (event.httpMethod === 'POST' && event.resource === '/rollbacks') {
    return operatorAction(
      { ...call, runId: '' },
      'rollback',
      RollbackBodySchema,
      'send {"runId" or "environment", "reason": "…"}',
      (b) => rollback(deps, { ...b, principal }),
    );
  }
  if (event.resource !== '/runs/{runId}/decision' || event.httpMethod !== 'POST') {
    return json(404, {
      error: { code: 'not_found', message: `${event.httpMethod} ${event.resource} is not an operator operation` },
    });
  }
  return operatorAction(
    call,
    'decide',
    DecisionBodySchema,
    'send {"decision": "approve"|"reject", "reason": "…"}',
    (b) => decide(deps, { runId, principal, decision: b.decision, reason: b.reason }),
  );
}

interface OperatorCall {
  readonly deps: OperatorDeps;
  readonly event: APIGatewayProxyEvent;
  readonly principal: string;
  readonly runId: string;
}

/** One operator action: its body validated, its refusal answered with its status and audited. */
async function operatorAction<S extends z.ZodType>(
  call: OperatorCall,
  action: string,
  schema: S,
  usage: string,
  act: (body: z.infer<S>) => Promise<unknown>,
): Promise<APIGatewayProxyResult> {
  const { deps, principal } = call;
  const body = parseBody(call.event, schema);
  if (body === undefined) {
    await recordRefusal(deps, call.runId, action, principal, { code: 'bad_request', message: usage });
    return json(400, { error: { code: 'bad_request', message: usage } });
  }
  const named = (body as { runId?: string }).runId ?? call.runId;
  try {
    const outcome = await act(body);
    deps.logger.info('operator action accepted', { action, runId: named, principal, outcome });
    return json(200, outcome);
  } catch (error) {
    if (!(error instanceof OperatorActionError) && !(error instanceof DecisionError)) throw error;
    deps.logger.warn('operator action refused', { action, runId: named, principal, code: error.code });
    await recordRefusal(
      deps,
      named,
      `${action === 'decide' ? (body as { decision: string }).decision : action}`,
      principal,
      error,
    );
    return json(error.status, { error: { code: error.code, message: error.message } });
  }
}

/** Every refusal is a fact for the auditor: who tried what, on which run, and why not. */
async function recordRefusal(
  deps: OperatorDeps,
  runId: string,
  action: string,
  principal: string,
  error: { readonly code: string; readonly message: string },
): Promise<void> {
  try {
    await recordOn(deps, runId === '' ? undefined : await deps.runs.get(runId), runId, action, principal, error);
  } catch (failure) {
    // The refusal stands and is answered with its reason; only its record is missing, loudly.
    deps.logger.error('operator refusal could not be recorded', {
      runId,
      action,
      principal,
      code: error.code,
      error: failure instanceof Error ? failure.name : 'unknown',
    });
  }
}

async function recordOn(
  deps: OperatorDeps,
  run: RunRecord | undefined,
  runId: string,
  action: string,
  principal: string,
  error: { readonly code: string; readonly message: string },
): Promise<void> {
  await deps.audit.record({
    type: 'operator.refused',
    actor: { type: 'user', id: principal, providerIdentity: principal },
    subject: run
      ? subjectOf(run.plan)
      : { repository: null, commit: null, runId: runId || null, environment: null, pipeline: null },
    outcome: 'rejected',
    details: { action, code: error.code, reason: error.message, principal },
    correlationId: run?.plan.change.deliveryId ?? `operator:${principal}`,
  });
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
