import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod/mini';
import { renderSlack, termsOf } from '../notify/messages';
import { approvalRequested } from '../notify/publish';
import { slackStatements } from '../notify/slack-statements';
import { type DecisionDeps, DecisionError } from '../pipelines/approval';
import { AuthorityUnavailable, authorityOver } from '../pipelines/authority';
import type { RunRecord } from '../runs/model';

/** Why a click was not taken as a decision on the run its button names: the message it sat on. */
export class ClickedMessageError extends Error {
  override readonly name = 'ClickedMessageError';

  constructor(
    readonly code: 'message_missing' | 'message_mismatch',
    message: string,
  ) {
    super(message);
  }
}

const IsoInstant = z.iso.datetime();

/**
 * Binds a Slack click to what its clicker was shown. A button's value is only the run it decides,
 * and anyone who can post as the Gantry app (its incoming-webhook URL) can put a button naming one
 * run under words describing another. So the message the button sits on must say exactly what
 * Gantry's approval request for that run says, rendered again from the run record: the pipeline,
 * the environment, the change (commit, branch, repository, run id), what else an approval releases,
 * and the buttons. Only its terms line may differ from today's rendering, within what Gantry could
 * have written when it asked: the run's minimum, names of the run's approvers (as planned or as
 * deployed now: the request names those deployed then), a deadline no later than the run's (a
 * retried request step moves the run's deadline on but sends no second message). Throws
 * `ClickedMessageError` otherwise, and when Slack sent no message (an ephemeral or legacy one).
 */
export async function checkClickedMessage(deps: DecisionDeps, runId: string, message: unknown): Promise<void> {
  if (message === undefined || message === null)
    throw new ClickedMessageError(
      'message_missing',
      `Slack sent this click without the message it was on, so Gantry cannot tell what you were shown: nothing was decided. ${elsewhere(runId)}`,
    );
  const run = await deps.runs.get(runId);
  // No run: decide() refuses it. A run not waiting is refused here, before its approval can open.
  if (run === undefined) return;
  if (run.plan.approval === null || run.approval === undefined)
    throw new DecisionError('no_approval_pending', `run ${run.runId} is not waiting for approval`);
  const problem = await mismatchOf(deps, run, slackStatements(message));
  if (problem !== undefined)
    throw new ClickedMessageError(
      'message_mismatch',
      `the message you clicked is not Gantry's approval request for run ${run.runId} (${problem}): nothing was decided. Run ${run.runId} is pipeline ${run.pipeline} → ${run.environment ?? 'no environment'}, commit ${run.commit} of ${run.repository}. ${elsewhere(run.runId)}`,
    );
}

/** Why `said` is not what Gantry's request for `run` says, or undefined when it is. */
async function mismatchOf(deps: DecisionDeps, run: RunRecord, said: readonly string[]): Promise<string | undefined> {
  const terms = said.map((s) => (s.startsWith('line: ') ? termsOf(s.slice(6)) : undefined)).find(Boolean);
  if (terms === undefined) return 'it states no approval terms';
  const problem = termsProblem(terms, run, await approverNames(deps, run));
  if (problem !== undefined) return problem;
  const gantrys = renderSlack(approvalRequested(run.plan, terms.deadline, terms.approvers), true);
  return isDeepStrictEqual(said, slackStatements(gantrys))
    ? undefined
    : `it does not state run ${run.runId} as Gantry's approval request does`;
}

function termsProblem(
  terms: NonNullable<ReturnType<typeof termsOf>>,
  run: RunRecord,
  names: ReadonlySet<string>,
): string | undefined {
  if (terms.minApprovals !== (run.plan.approval?.minApprovals ?? 1)) return 'its number of approvals is not the run’s';
  const deadline = run.approval?.deadline ?? '';
  if (!IsoInstant.safeParse(terms.deadline).success || Date.parse(terms.deadline) > Date.parse(deadline))
    return 'its deadline is not the run’s';
  if (!terms.approvers.every((name) => names.has(name))) return 'it names approvers the run does not have';
  return undefined;
}

/** The run's approvers as planned, and as the pipeline is deployed now when that can be read. */
async function approverNames(deps: DecisionDeps, run: RunRecord): Promise<ReadonlySet<string>> {
  const planned = (run.plan.approval?.approvers ?? []).map((a) => a.identity);
  const deployed = await authorityOver(deps, run).then(
    (authority) => (authority.environment?.approvers ?? []).map((a) => a.identity),
    (error: unknown) => {
      // decide() refuses every decision while the configuration cannot be read.
      if (error instanceof AuthorityUnavailable) return [];
      throw error;
    },
  );
  return new Set([...planned, ...deployed]);
}

function elsewhere(runId: string): string {
  return `Check the run with gantry runs show ${runId}, then decide with gantry runs approve (or reject) ${runId} --reason "…", or in the console.`;
}
