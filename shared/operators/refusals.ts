import { RecordWindow } from '../audit/window';
import { type RefusalDeps, recordRefusal } from './operator-api';

/** An action refused before it reached the operator use cases: nobody, or nobody configured, asked. */
export interface RefusedAction {
  readonly runId: string;
  readonly action: string;
  readonly principal: string;
  readonly code: string;
  readonly message: string;
}

/** How long one person's same refused action on one run is recorded once. */
export const REFUSAL_WINDOW_MS = 60_000;

/**
 * Records refusals from callers anyone can be (the console's IdP users, whoever posts to the Slack
 * route), as the operator API records its unproven callers, but sized for them: only refusals about
 * a run that exists reach the ledger (the others are logged), and one caller's same action on one
 * run is recorded once a minute per function instance, so a script cannot fill the ledger or
 * crowd a repository's chain. `unproven`: the principal is the request's word only (an unsigned
 * Slack request), recorded as claimed, never as the actor; since the sender invents the principal
 * and names any run, such refusals are recorded once a minute per action and code whatever they
 * claim, the next record counting those only logged in between (`alsoRefused`).
 */
export function refusalRecorder(
  deps: RefusalDeps,
  now: () => number = Date.now,
  options: { readonly unproven?: boolean } = {},
): (refusal: RefusedAction) => Promise<void> {
  const window = new RecordWindow(REFUSAL_WINDOW_MS);
  return async (r) => {
    // Only a refusal about a run that exists may take its key's turn: junk naming no run would
    // otherwise take the minute's one record and hide the refusals about real runs behind it.
    const run = r.runId === '' ? undefined : await deps.runs.get(r.runId).catch(() => undefined);
    const logged = (message: string) =>
      deps.logger.warn(message, { runId: r.runId, action: r.action, principal: r.principal, code: r.code });
    if (run === undefined) return logged('operator refusal about no known run: logged, not recorded');
    const key = options.unproven ? [r.action, r.code] : [r.principal, r.runId, r.action, r.code];
    const admission = window.admit(JSON.stringify(key), now());
    if (!admission.admitted) return logged('operator refusal repeated within a minute: logged, not recorded again');
    await recordRefusal(deps, r.runId, r.action, r.principal, r, {
      onlyForExistingRun: true,
      ...options,
      ...(admission.skipped > 0 ? { alsoRefused: admission.skipped } : {}),
    });
  };
}
