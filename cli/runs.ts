import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ENDED_UNREPORTED, STAGES } from '../events';
import { RUN_STATUSES, type RunRecord, type RunStatus } from '../shared/runs/model';
import { printableLines } from '../shared/text/printable';
import { CommandFailed, UsageError } from './errors';
import { duration, printableFields, status, table, when } from './format';
import { readOperatorApi, type Target } from './target';

/**
 * Runs as the operator API shows them (`publicRun`: no task tokens), signed like every operator
 * call, so an operator needs only execute-api:Invoke, never a read of the runs table.
 */
export const runStore = (target: Target) => ({
  list: (query: { pipeline?: string; status?: RunStatus; repository?: string; limit: number }) =>
    apiRuns(target, query),
  get: (runId: string) => apiRun(target, runId),
});

/** The operator API's answer as run records; the task tokens are absent, never read by the CLI. */
async function apiRuns(
  target: Target,
  query: { pipeline?: string; status?: RunStatus; repository?: string; limit: number },
): Promise<RunRecord[]> {
  const params = Object.fromEntries(
    Object.entries({ ...query, limit: String(Math.min(query.limit, 200)) }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const out = await readOperatorApi(target, 'runs', params);
  if (out.status !== 200) throw refusedRead(out);
  return out.body.runs as RunRecord[];
}

/** The operator API's refusal, with the code and reason it gave. */
function refusedRead(out: { status: number; body: Record<string, unknown> }): CommandFailed {
  const error = out.body.error as { code?: string; message?: string } | undefined;
  return new CommandFailed(
    `the operator API refused to list runs (${out.status} ${error?.code ?? ''}): ${error?.message ?? JSON.stringify(out.body)}`,
  );
}

async function apiRun(target: Target, runId: string): Promise<RunRecord | undefined> {
  const out = await readOperatorApi(target, `runs/${encodeURIComponent(runId)}`);
  if (out.status === 404) return undefined;
  if (out.status !== 200) throw refusedRead(out);
  return out.body as unknown as RunRecord;
}

export interface ListOptions {
  readonly pipeline?: string;
  readonly status?: string;
  readonly repository?: string;
  readonly limit: number;
}

export async function listRuns(target: Target, options: ListOptions): Promise<RunRecord[]> {
  if (options.status !== undefined && !RUN_STATUSES.includes(options.status as RunStatus)) {
    throw new UsageError(`--status must be one of ${RUN_STATUSES.join(', ')}`);
  }
  return runStore(target).list({
    ...(options.pipeline ? { pipeline: options.pipeline } : {}),
    ...(options.status ? { status: options.status as RunStatus } : {}),
    ...(options.repository ? { repository: options.repository } : {}),
    limit: options.limit,
  });
}

/** `gantry runs list`: one row per run, its stored text escaped (a branch name is its pusher's). */
export function runsTable(records: readonly RunRecord[]): string {
  if (records.length === 0) return 'No runs yet.';
  return table(
    ['RUN', 'PIPELINE', 'TRIGGER', 'REF', 'COMMIT', 'ENV', 'STATUS', 'STARTED', 'TOOK'],
    printableFields(records).map((r) => [
      r.runId.slice(0, 12),
      r.pipeline,
      r.trigger,
      r.branch ?? (r.plan.pullRequest ? `PR #${r.plan.pullRequest}` : ''),
      r.commit.slice(0, 7),
      r.environment ?? '',
      status(r.status),
      when(r.createdAt),
      duration(r.createdAt, r.endedAt),
    ]),
  );
}

/** A run by id or unambiguous prefix (at least 6 characters, as `runs list` shows 12). */
export async function findRun(target: Target, idOrPrefix: string): Promise<RunRecord> {
  const store = runStore(target);
  const exact = await store.get(idOrPrefix);
  if (exact) return exact;
  if (idOrPrefix.length < 6) throw new UsageError(`no run ${idOrPrefix}; give at least 6 characters of its id`);
  const matches = (await store.list({ limit: 200 })).filter((r) => r.runId.startsWith(idOrPrefix));
  if (matches.length === 1 && matches[0]) return matches[0];
  throw new UsageError(
    matches.length === 0
      ? `no run ${idOrPrefix} among the latest 200`
      : `${idOrPrefix} matches ${matches.length} runs; give more of the id`,
  );
}

/** The tail of a run's build log (CloudWatch Logs in AWS; the local build runner's log locally). */
export async function buildLogTail(target: Target, run: RunRecord, lines: number): Promise<string[]> {
  if (!run.build?.logGroup || !run.build.logStream) return [];
  try {
    const out = await new CloudWatchLogsClient(target.clientConfig).send(
      new GetLogEventsCommand({
        logGroupName: run.build.logGroup,
        logStreamName: run.build.logStream,
        limit: lines,
        startFromHead: false,
      }),
    );
    return (out.events ?? []).map((e) => e.message ?? '');
  } catch (error) {
    return [`(the build log could not be read: ${error instanceof Error ? error.name : 'error'})`];
  }
}

/**
 * `gantry runs show`: stages with status and duration, gate reasons, approval, failure, log tail.
 * What the change's author, its tests and its build wrote (message, names, reasons, log lines) is
 * shown with its control characters escaped: an approver reads it, and it must not redraw the
 * lines above it (the environment, the change) before they approve.
 */
export function describeRun(record: RunRecord, log: readonly string[]): string {
  const run = printableFields(record);
  const change = run.plan.change;
  const out = [
    `Run ${run.runId}  ${status(run.status)}`,
    `  pipeline     ${run.pipeline} (${run.trigger}${run.branch ? ` to ${run.branch}` : ''}${run.plan.pullRequest ? `, PR #${run.plan.pullRequest}` : ''})`,
    `  repository   ${run.repository} @ ${run.commit}`,
    `  environment  ${run.environment ?? '(none: build and gates only)'}`,
    `  change       ${change.message ? `"${change.message}"` : '(no message)'}${change.authorName ? ` by ${change.authorName}${change.authorEmail ? ` <${change.authorEmail}>` : ''}` : ''}${change.pusher ? `, pushed by ${change.pusher}` : ''}`,
    `  started      ${when(run.createdAt)}${run.endedAt ? `, took ${duration(run.createdAt, run.endedAt)}` : ''}`,
    '',
    table(
      ['STAGE', 'STATUS', 'TOOK', 'DETAIL'],
      STAGES.map((name) => {
        const stage = run.stages[name];
        return [
          name,
          stage ? status(stage.status) : '-',
          duration(stage?.startedAt, stage?.endedAt),
          stage?.summary ?? '',
        ];
      }),
    ),
  ];
  if (run.gates) out.push('', gatesLine(run));
  if (run.approval) out.push('', ...approvalLines(run));
  if (run.deployment) out.push('', ...deploymentLines(run));
  if (run.plan.rollback) {
    const r = run.plan.rollback;
    out.push(
      '',
      `Rollback requested by ${r.requestedBy}: "${r.reason}"`,
      `  undoes run ${r.ofRunId ?? '-'}, redeploys version ${r.version} of run ${r.toRunId}`,
    );
  }
  if (run.plan.retry) {
    const r = run.plan.retry;
    out.push(
      '',
      `Retry requested by ${r.requestedBy}: "${r.reason}"`,
      `  runs commit ${run.commit} again, as run ${r.ofRunId} did`,
      ...(r.acceptConfiguration === null
        ? []
        : [`  may release the Lambda configuration ${r.acceptConfiguration}, accepted by ${r.requestedBy}`]),
    );
  }
  // An operator's cancel keeps its words as the run's failure ("cancelled by <who>: <reason>").
  const cancel = run.cancelledBy !== undefined && run.failure?.error === ENDED_UNREPORTED.cancelled;
  if (run.failure && !cancel) out.push('', `Failed in ${run.failure.stage}: ${run.failure.reason}`);
  // An operator (their identity, and why) or a newer run of the lane that superseded it (its run id).
  if (cancel) out.push('', `Cancelled by ${run.failure?.reason.replace(/^cancelled by /, '')}`);
  else if (run.cancelledBy) out.push('', `Cancelled by ${run.cancelledBy}`);
  if (log.length > 0)
    out.push(
      '',
      `Build log (last ${log.length} lines, ${run.build?.logGroup}):`,
      ...log.flatMap((l) => printableLines(l).map((line) => `  ${line}`)),
    );
  return out.join('\n');
}

function gatesLine(run: RunRecord): string {
  const m = run.gates?.metrics as {
    tests?: { total: number; failed: number; skipped: number };
    lineCoverage?: number | null;
    findings?: Record<string, number>;
  };
  const f = m.findings ?? {};
  const parts = [
    m.tests ? `tests ${m.tests.total} (${m.tests.failed} failed, ${m.tests.skipped} skipped)` : 'no test report',
    m.lineCoverage === null || m.lineCoverage === undefined ? 'no coverage report' : `line coverage ${m.lineCoverage}%`,
    `findings ${f.error ?? 0} error / ${f.warning ?? 0} warning / ${f.note ?? 0} note, ${f.critical ?? 0} critical / ${f.high ?? 0} high`,
  ];
  const reasons = run.gates?.reasons ?? [];
  return [
    `Gates ${run.gates?.passed ? 'passed' : 'FAILED'}: ${parts.join(', ')}`,
    ...reasons.map((r) => `  - ${r}`),
  ].join('\n');
}

function deploymentLines(run: RunRecord): string[] {
  const d = run.deployment;
  if (d === undefined) return [];
  const shift = d.fromVersion === null ? `→ ${d.toVersion}` : `version ${d.fromVersion} → ${d.toVersion}`;
  return [
    `Deployment ${d.status.replace('_', ' ')}${d.rolledBack ? ', rolled back' : ''}: ${shift} on ${d.target}`,
    `  ${d.strategy}${d.deploymentId ? `, CodeDeploy ${d.deploymentId}` : ''}, started ${when(d.startedAt)}${d.endedAt ? `, took ${duration(d.startedAt, d.endedAt)}` : ''}`,
    ...(d.reason ? [`  ${d.reason}`] : []),
  ];
}

function approvalLines(run: RunRecord): string[] {
  const a = run.approval;
  if (a === undefined) return [];
  const decisions = Object.values(a.decisions).map(
    (d) => `  - ${d.identity} ${d.decision}d at ${when(d.at)}: "${d.reason}" (${d.principal})`,
  );
  return [`Approval ${a.outcome ?? `waiting until ${when(a.deadline)}`}`, ...decisions];
}
