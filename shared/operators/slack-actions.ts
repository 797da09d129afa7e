import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import { SLACK_USER } from '../../events';
import { SLACK_IDS, slackEscape } from '../notify/messages';
import { verifySlackSignature } from '../notify/slack-signature';
import { type DecisionDeps, DecisionError, type DecisionOutcome, decide } from '../pipelines/approval';
import { SLACK_PRINCIPAL_PREFIX } from '../pipelines/principals';
import { subjectOf } from '../runs/subjects';
import type { RefusedAction } from './refusals';
import { ClickedMessageError, checkClickedMessage } from './slack-message';

/** What the Slack route needs: the decision's ports, the signing secret, and a way to answer Slack. */
export interface SlackActionDeps extends DecisionDeps {
  signingSecret(): Promise<string>;
  /** Where the signing secret lives (a Secrets Manager id), named when signatures fail. @default unnamed */
  readonly signingSecretId?: string;
  /** Posts the answer to the interaction's `response_url` (only to `responseUrlPrefixes`). */
  respond(url: string, body: unknown): Promise<void>;
  readonly responseUrlPrefixes: readonly string[];
  /**
   * Records a request Slack did not sign that names an existing run (its word only: recorded as
   * unproven, rate-limited: see `refusalRecorder`). @default not recorded, only logged
   */
  readonly unsigned?: (refusal: RefusedAction) => Promise<void>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** A request as the route hands it over: headers lower-cased, the body's exact bytes. */
export interface SlackRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
}

export interface SlackAnswer {
  readonly status: number;
  readonly body: { readonly text: string; readonly code?: string };
}

/** The part of a `block_actions` payload Gantry reads. */
const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  // An org-wide app of an Enterprise Grid organization gets `team: null`; the user's own team says whose they are.
  team: z.nullish(z.object({ id: z.string() })),
  user: z.object({ id: z.string(), team_id: z.optional(z.string()) }),
  actions: z
    .array(
      z.object({ action_id: z.enum([SLACK_IDS.approve, SLACK_IDS.reject]), value: z.string().check(z.minLength(1)) }),
    )
    .check(z.length(1)),
  state: z.optional(
    z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.nullish(z.string()) }))) }),
  ),
  response_url: z.optional(z.string()),
  /** The message the button is on, as Slack has it (absent for an ephemeral message): checked, not trusted. */
  message: z.optional(z.unknown()),
});
type BlockActions = z.infer<typeof BlockActionsSchema>;

/**
 * Approve or reject from Slack. The request is believed only once Slack's signature over it
 * verifies; the Slack user (team id + user id) is the principal handed to the same `decide` as
 * the CLI's, which finds the approver among the deployed pipeline's identities (their `slack`
 * field), enforces separation of duties and writes the same ledger record. The reason is the
 * text typed in the message's reason box. The click counts only on Gantry's own request for the run
 * its button names (`checkClickedMessage`). Refusals are answered to Slack and recorded.
 */
export async function answerSlackAction(deps: SlackActionDeps, request: SlackRequest): Promise<SlackAnswer> {
  const problem = verifySlackSignature(
    await deps.signingSecret(),
    request.headers['x-slack-request-timestamp'],
    request.headers['x-slack-signature'],
    request.rawBody,
    deps.clock(),
  );
  if (problem !== undefined) {
    // Until an operator sets Slack's secret, every click fails here: say where it goes.
    deps.logger.warn('slack request refused', {
      code: problem,
      ...(problem === 'bad_signature'
        ? {
            hint: `if every Slack click is refused, set {"signingSecret": "<the Slack app's Signing Secret, Basic Information page>"} in ${deps.signingSecretId ?? 'the Slack signing secret'}`,
          }
        : {}),
    });
    const text = 'not a request signed by Slack';
    // Forged clicks are the auditor's to see, on the run they name (what they claim is their word).
    const claimed = payloadOf(request.rawBody);
    const action = claimed?.actions[0];
    if (deps.unsigned !== undefined && action?.value)
      await deps.unsigned({
        runId: action.value,
        action: action.action_id === SLACK_IDS.approve ? 'approve' : 'reject',
        principal: `${SLACK_PRINCIPAL_PREFIX}${slackId(claimed?.team?.id ?? claimed?.user.team_id)}/${slackId(claimed?.user.id)}`,
        code: problem,
        message: text,
      });
    return { status: 401, body: { code: problem, text } };
  }
  const payload = payloadOf(request.rawBody);
  if (payload === undefined)
    return { status: 400, body: { code: 'bad_request', text: 'Gantry answers only its Approve and Reject buttons' } };
  const [action] = payload.actions;
  const runId = action?.value ?? '';
  const decision = action?.action_id === SLACK_IDS.approve ? 'approve' : 'reject';
  const reason = payload.state?.values[SLACK_IDS.reasonBlock]?.[SLACK_IDS.reasonInput]?.value ?? '';
  const team = payload.team?.id ?? payload.user.team_id ?? '';
  const principal = `${SLACK_PRINCIPAL_PREFIX}${team}/${payload.user.id}`;
  const answer = await decideFromSlack(deps, { runId, principal, decision, reason }, payload.message);
  await respond(deps, payload, answer.body.text);
  return answer;
}

async function decideFromSlack(
  deps: SlackActionDeps,
  request: { runId: string; principal: string; decision: 'approve' | 'reject'; reason: string },
  message: unknown,
): Promise<SlackAnswer> {
  try {
    // A Slack id that is not one (fail closed before anything is read); decide refuses unknown ones.
    if (!SLACK_USER.test(request.principal.slice(SLACK_PRINCIPAL_PREFIX.length)))
      throw new DecisionError('not_an_approver', `${request.principal} is not a Slack user Gantry can recognise`);
    // The button names a run; the message around it must be Gantry's request for that run.
    await checkClickedMessage(deps, request.runId, message);
    const outcome = await decide(deps, request);
    deps.logger.info('slack decision accepted', { runId: request.runId, principal: request.principal, outcome });
    return { status: 200, body: { text: describe(outcome, request) } };
  } catch (error) {
    if (!(error instanceof DecisionError || error instanceof ClickedMessageError)) throw error;
    deps.logger.warn('slack decision refused', {
      runId: request.runId,
      principal: request.principal,
      code: error.code,
    });
    await recordRefusal(deps, request, error);
    return { status: 200, body: { code: error.code, text: `Refused (${error.code}): ${error.message}` } };
  }
}

function describe(outcome: DecisionOutcome, request: { runId: string }): string {
  if (outcome.outcome === 'recorded')
    return `Approval recorded for run ${request.runId}: ${outcome.approvals} of ${outcome.needed} needed.`;
  return `Run ${request.runId} ${outcome.outcome}.`;
}

/** The same record the operator API writes for a refusal: who tried what, on which run, and why not. */
async function recordRefusal(
  deps: SlackActionDeps,
  request: { runId: string; principal: string; decision: string },
  error: DecisionError | ClickedMessageError,
): Promise<void> {
  try {
    const run = await deps.runs.get(request.runId);
    await deps.audit.record({
      type: 'operator.refused',
      actor: { type: 'user', id: request.principal, providerIdentity: request.principal },
      subject: run
        ? subjectOf(run.plan)
        : { repository: null, commit: null, runId: request.runId || null, environment: null, pipeline: null },
      outcome: 'rejected',
      details: { action: request.decision, code: error.code, reason: error.message, principal: request.principal },
      correlationId: run?.plan.change.deliveryId ?? `operator:${request.principal}`,
    });
  } catch (failure) {
    deps.logger.error('slack refusal could not be recorded', {
      runId: request.runId,
      code: error.code,
      error: failure instanceof Error ? failure.name : 'unknown',
    });
  }
}

/** Slack shows an interaction's answer only through its `response_url`, as a message only the clicker sees. */
async function respond(deps: SlackActionDeps, payload: BlockActions, text: string): Promise<void> {
  const url = payload.response_url;
  if (url === undefined || !deps.responseUrlPrefixes.some((prefix) => url.startsWith(prefix))) return;
  try {
    // Refusals quote the change (a PR title in a separation-of-duties refusal): Slack must not
    // read them as markup (a disguised link, a mention).
    await deps.respond(url, { response_type: 'ephemeral', replace_original: false, text: slackEscape(text) });
  } catch (error) {
    deps.logger.warn('slack answer not delivered', { error: error instanceof Error ? error.name : 'unknown' });
  }
}

function payloadOf(rawBody: Buffer): BlockActions | undefined {
  try {
    const payload = new URLSearchParams(rawBody.toString('utf8')).get('payload');
    return BlockActionsSchema.safeParse(JSON.parse(payload ?? '')).data;
  } catch {
    return undefined;
  }
}

/** A Slack team or user id as an unsigned request claims it: upper-case letters and digits, or `?` (the sender's text is not recorded). */
function slackId(claimed: string | undefined): string {
  return claimed !== undefined && /^[A-Z0-9]{1,32}$/.test(claimed) ? claimed : '?';
}
