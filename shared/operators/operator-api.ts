import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { type ApiGatewayRequest, CONFIGURATION_DIGEST } from '../../events';
import { DecisionError, decide } from '../pipelines/approval';
import { publicRun, RUN_STATUSES, type RunRecord } from '../runs/model';
import { subjectOf } from '../runs/subjects';
import { ACCEPT_CONFIGURATION_USAGE, cancel, OperatorActionError, type OperatorDeps, retry, rollback } from './actions';
import { CALLER_PROOF_HEADER, type CallerIdentity, type CallerVerifier, requestDigest } from './caller-proof';
import { ConsoleTokenError, type OidcTokenVerifier } from './oidc';

/**
 * The header in which the web console (in AWS) hands this function the signed-in person's ID
 * token. The console only relays it: this function verifies it against the configured issuer
 * itself, so it alone decides who acts, whoever invoked it.
 */
export const CONSOLE_TOKEN_HEADER = 'x-gantry-console-token';

const DecisionBodySchema = z.object({
  decision: z.enum(['approve', 'reject']),
  reason: z.string().check(z.maxLength(2000)),
});
/** Cancel: only why. */
const CancelBodySchema = z.object({ reason: z.string().check(z.maxLength(2000)) });
/** Retry: why, and maybe the changed Lambda configuration it may release. */
const RetryBodySchema = z.object({
  reason: z.string().check(z.maxLength(2000)),
  acceptConfiguration: z.optional(z.string().check(z.regex(CONFIGURATION_DIGEST))),
});
const RollbackBodySchema = z
  .object({
    runId: z.optional(z.string().check(z.minLength(1))),
    environment: z.optional(z.string().check(z.minLength(1))),
    pipeline: z.optional(z.string().check(z.minLength(1))),
    reason: z.string().check(z.maxLength(2000)),
  })
  .check(z.refine((b) => (b.runId === undefined) !== (b.environment === undefined), 'name a run or an environment'));

/**
 * The IAM-authorized operator API: POST /runs/{runId}/decision, /runs/{runId}/cancel,
 * /runs/{runId}/retry and /rollbacks. The operator is the principal STS names for the caller's
 * proof (see caller-proof.ts), never the event's word alone: API Gateway's IAM authorizer
 * (`requestContext.identity.userArn`) stays a first layer and must agree with it.
 */
export async function answerOperatorRequest(
  deps: OperatorDeps,
  event: ApiGatewayRequest,
  callers: CallerVerifier,
  /** Verifies the console's people (the config's `console:` issuer); none without a console. */
  consoleTokens?: Pick<OidcTokenVerifier, 'verify'>,
): Promise<APIGatewayProxyResult> {
  const claimed = event.requestContext?.identity?.userArn ?? undefined;
  const runId = event.pathParameters?.runId ?? '';
  const consoleToken = headerOf(event, CONSOLE_TOKEN_HEADER);
  if (consoleToken !== undefined) return answerConsolePerson(deps, event, consoleToken, claimed, consoleTokens);
  const caller = await identify(event, callers, claimed);
  if (!caller.ok) {
    // Who failed to prove it is unknown: the ARN the request names is its word only, and is kept
    // as that, never as the actor (a record saying "alice was refused" would be a record of alice).
    await recordRefusal(deps, runId, 'authenticate', claimed ?? 'unproven', caller, { unproven: true });
    deps.logger.warn('operator caller refused', { runId, claimed, code: caller.code });
    return json(caller.status, { error: { code: caller.code, message: caller.message } });
  }
  if (!caller.principal.startsWith('arn:')) throw new Error('STS named a caller without an ARN');
  return answerAs(deps, event, caller.principal);
}

/**
 * A request the web console relays for a person it signed in: acted on as the `oidc:` principal
 * of the ID token this function verifies, never as whoever invoked it. Only the console's
 * invocations carry the token: through the IAM-authorized API a caller proves an IAM principal.
 */
async function answerConsolePerson(
  deps: OperatorDeps,
  event: ApiGatewayRequest,
  token: string,
  claimed: string | undefined,
  verifier: Pick<OidcTokenVerifier, 'verify'> | undefined,
): Promise<APIGatewayProxyResult> {
  const runId = event.pathParameters?.runId ?? '';
  const refuse = async (status: number, code: string, message: string, principal = claimed ?? 'unproven') => {
    await recordRefusal(
      deps,
      runId,
      'authenticate',
      principal,
      { code, message },
      { onlyForExistingRun: true, unproven: true },
    );
    deps.logger.warn('console caller refused', { runId, claimed, code });
    return json(status, { error: { code, message } });
  };
  if (claimed !== undefined)
    return refuse(
      400,
      'console_token_misplaced',
      `the console's token is taken only from the console; ${claimed} calls the operator API with a caller proof (x-gantry-caller-proof)`,
    );
  if (verifier === undefined)
    return refuse(
      401,
      'console_not_configured',
      'this deployment has no console: add a console: block to gantry.config.yaml and deploy',
    );
  try {
    const person = await verifier.verify(token);
    return await answerAs(deps, event, person.principal);
  } catch (error) {
    if (!(error instanceof ConsoleTokenError)) throw error;
    return refuse(401, error.code, `sign in again: ${error.message}`);
  }
}

async function answerAs(
  deps: OperatorDeps,
  event: ApiGatewayRequest,
  principal: string,
): Promise<APIGatewayProxyResult> {
  const runId = event.pathParameters?.runId ?? '';
  if (event.httpMethod === 'GET') return readRuns(deps, event, runId);
  const call = { deps, event, principal, runId };
  if (event.httpMethod === 'POST' && event.resource === '/runs/{runId}/cancel') {
    return operatorAction(call, 'cancel', CancelBodySchema, 'send {"reason": "…"}', (b) =>
      cancel(deps, { runId, principal, reason: b.reason }),
    );
  }
  if (event.httpMethod === 'POST' && event.resource === '/runs/{runId}/retry') {
    return operatorAction(
      call,
      'retry',
      RetryBodySchema,
      `send {"reason": "…"}, and to release a changed Lambda configuration {"acceptConfiguration": "<digest>"}: ${ACCEPT_CONFIGURATION_USAGE}`,
      (b) =>
        retry(deps, {
          runId,
          principal,
          reason: b.reason,
          ...(b.acceptConfiguration === undefined ? {} : { acceptConfiguration: b.acceptConfiguration }),
        }),
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

const RunQuerySchema = z.object({
  pipeline: z.optional(z.string().check(z.minLength(1))),
  status: z.optional(z.enum(RUN_STATUSES)),
  repository: z.optional(z.string().check(z.minLength(1))),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 20),
});

/**
 * GET /runs (the CLI's filters) and GET /runs/{runId}: runs as `publicRun` shows them, without
 * the task tokens that resume their waiting steps, so operators need no read of the runs table.
 */
async function readRuns(deps: OperatorDeps, event: ApiGatewayRequest, runId: string): Promise<APIGatewayProxyResult> {
  if (event.resource === '/runs/{runId}') {
    const run = await deps.runs.get(runId);
    return run
      ? json(200, publicRun(run))
      : json(404, { error: { code: 'run_not_found', message: `no run ${runId}` } });
  }
  if (event.resource !== '/runs') {
    return json(404, {
      error: { code: 'not_found', message: `${event.httpMethod} ${event.resource} is not an operator operation` },
    });
  }
  const query = RunQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) {
    return json(400, {
      error: {
        code: 'bad_request',
        message: `query: pipeline, repository, status (${RUN_STATUSES.join(', ')}), limit (1-200)`,
      },
    });
  }
  const { limit, ...filters } = query.data;
  return json(200, { runs: (await deps.runs.list({ ...filters, limit })).map(publicRun) });
}

/** The caller as STS names them from the request's proof; the authorizer's principal, if any, must be the same. */
async function identify(
  event: ApiGatewayRequest,
  callers: CallerVerifier,
  claimed: string | undefined,
): Promise<CallerIdentity> {
  const proof = headerOf(event, CALLER_PROOF_HEADER);
  const caller = await callers.verify(
    proof,
    requestDigest(event.httpMethod, pathOf(event), bodyText(event), event.queryStringParameters),
    claimed,
  );
  if (!caller.ok || claimed === undefined || claimed === caller.principal) return caller;
  return {
    ok: false,
    status: 403,
    code: 'caller_mismatch',
    message: `the caller proof names ${caller.principal} but the request was authorized as ${claimed}: sign the proof with the same credentials as the request`,
  };
}

/** The request's path relative to the stage, rebuilt from the route and its (decoded) parameters. */
function pathOf(event: ApiGatewayRequest): string {
  return (event.resource ?? '').replace(/\{([^}+]+)\+?\}/g, (_, name: string) =>
    encodeURIComponent(event.pathParameters?.[name] ?? ''),
  );
}

function headerOf(event: ApiGatewayRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

function bodyText(event: ApiGatewayRequest): string {
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
}

interface OperatorCall {
  readonly deps: OperatorDeps;
  readonly event: ApiGatewayRequest;
  readonly principal: string;
  readonly runId: string;
}

/** One operator action: its body validated, its refusal answered with its status and audited. */
async function operatorAction<S extends z.ZodMiniType>(
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

/** What recording a refusal needs: the run it names, the ledger, the log. */
export type RefusalDeps = Pick<OperatorDeps, 'audit' | 'logger'> & { readonly runs: Pick<OperatorDeps['runs'], 'get'> };

/** Every refusal is a fact for the auditor: who tried what, on which run, and why not. */
export async function recordRefusal(
  deps: RefusalDeps,
  runId: string,
  action: string,
  principal: string,
  error: { readonly code: string; readonly message: string },
  options: {
    /** Record only a refusal about a run that exists (callers anyone can be: the console's IdP users). */
    readonly onlyForExistingRun?: boolean;
    /** The caller did not prove `principal`: it is recorded as claimed, and the actor as unproven. */
    readonly unproven?: boolean;
    /** How many refusals like it were only logged since the last one recorded. */
    readonly alsoRefused?: number;
  } = {},
): Promise<void> {
  try {
    const run = runId === '' ? undefined : await deps.runs.get(runId);
    if (options.onlyForExistingRun && run === undefined) {
      // Nothing to protect, and the ledger is no log for whoever can sign in to the IdP to fill.
      deps.logger.warn('operator refusal about no known run: logged, not recorded', {
        runId,
        action,
        principal,
        code: error.code,
      });
      return;
    }
    await recordOn(deps, run, runId, action, principal, error, options.unproven === true, options.alsoRefused);
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
  deps: RefusalDeps,
  run: RunRecord | undefined,
  runId: string,
  action: string,
  principal: string,
  error: { readonly code: string; readonly message: string },
  unproven: boolean,
  alsoRefused?: number,
): Promise<void> {
  const said = unproven ? `unproven (claimed ${principal})` : principal;
  await deps.audit.record({
    type: 'operator.refused',
    actor: unproven
      ? { type: 'user', id: 'unproven', providerIdentity: null }
      : { type: 'user', id: principal, providerIdentity: principal },
    subject: run
      ? subjectOf(run.plan)
      : { repository: null, commit: null, runId: runId || null, environment: null, pipeline: null },
    outcome: 'rejected',
    details: {
      action,
      code: error.code,
      reason: error.message,
      principal: said,
      ...(alsoRefused === undefined ? {} : { alsoRefused }),
    },
    correlationId: run?.plan.change.deliveryId ?? `operator:${said}`,
  });
}

function parseBody<S extends z.ZodMiniType>(event: ApiGatewayRequest, schema: S): z.infer<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(bodyText(event)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
