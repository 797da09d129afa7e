import { type RefusalDeps, recordRefusal } from '../operators/operator-api';
import type { RefusedAction } from './ports';

/** How long one person's same refused action on one run is recorded once. */
export const REFUSAL_WINDOW_MS = 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * Records the console's refusals of actions by nobody or by nobody configured, as the operator API
 * records its unproven callers, but sized for callers anyone at the IdP can be: only refusals about
 * a run that exists reach the ledger (the others are logged), and one person's same action on one
 * run is recorded once a minute per function instance, so a script cannot fill the ledger or
 * crowd a repository's chain.
 */
export function consoleRefusalRecorder(
  deps: RefusalDeps,
  now: () => number = Date.now,
): (refusal: RefusedAction) => Promise<void> {
  const recorded = new Map<string, number>();
  return async (r) => {
    const key = JSON.stringify([r.principal, r.runId, r.action, r.code]);
    const at = now();
    const last = recorded.get(key);
    if (last !== undefined && at - last < REFUSAL_WINDOW_MS) {
      deps.logger.warn('operator refusal repeated within a minute: logged, not recorded again', {
        runId: r.runId,
        action: r.action,
        principal: r.principal,
        code: r.code,
      });
      return;
    }
    if (recorded.size >= MAX_REMEMBERED) recorded.clear();
    recorded.set(key, at);
    await recordRefusal(deps, r.runId, r.action, r.principal, r, { onlyForExistingRun: true });
  };
}
