import type { AuditSink } from '../audit/audit';
import type { RunRecord } from '../runs/model';
import type { RunStore } from '../runs/store';
import { gantryRecord } from './approval';
import type { RunPlan } from './plan';

/**
 * The run a step may act for: the one the control plane recorded for this very execution.
 * `executionArn` is `$$.Execution.Id`, which Step Functions sets from the context object and no
 * input can; the plan in the input is only a pointer. A step handed anyone else's run (a forged
 * or replayed execution) gets `undefined`, and the ledger gets `security.forged_input`.
 */
export async function runOfExecution(
  deps: { readonly runs: RunStore; readonly audit: AuditSink },
  input: RunPlan,
  executionArn: string,
  step: string,
): Promise<{ run: RunRecord } | { refused: string }> {
  const run = await deps.runs.get(input.runId);
  if (run !== undefined && run.executionArn === executionArn) return { run };
  const reason =
    run === undefined
      ? `no run ${input.runId} was planned by the control plane`
      : `run ${run.runId} belongs to execution ${run.executionArn}, not to ${executionArn}`;
  await recordForgedInput(deps, input, run, executionArn, step, reason);
  return { refused: reason };
}

export async function recordForgedInput(
  deps: { readonly audit: AuditSink },
  input: RunPlan,
  run: RunRecord | undefined,
  executionArn: string,
  step: string,
  reason: string,
): Promise<void> {
  const record = gantryRecord(input, 'security.forged_input', 'rejected', { step, executionArn, reason });
  await deps.audit.record({
    ...record,
    subject: { ...record.subject, repository: run?.repository ?? input.repository },
  });
}
