import type { Command } from 'commander';
import { CONFIGURATION_DIGEST } from '../../events';
import { publicRun } from '../../shared/runs/model';
import { CommandFailed, UsageError } from '../errors';
import { printJson } from '../io';
import { countOption, type TargetFlags, targetOptions } from '../options';

type Common = TargetFlags;

export function registerRunsCommands(program: Command): void {
  const runs = targetOptions(
    program
      .command('runs')
      .description(
        'pipeline runs: list, show, approve, reject, cancel, retry, rollback (local mode when it runs here; AWS with --region or --profile)',
      ),
  );
  const common = () => runs.opts<Common>();

  runs
    .command('list')
    .description('the latest runs, newest first')
    .option('--pipeline <name>')
    .option('--status <status>', 'QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED')
    .option('--repository <owner/name>')
    .option('--limit <n>', 'how many (at most 200, as the operator API answers)', countOption('--limit', 200), 20)
    .option('--json', 'print JSON')
    .action(
      async (options: { pipeline?: string; status?: string; repository?: string; limit: number; json?: boolean }) => {
        const { resolveTarget } = await import('../target');
        const { listRuns, runsTable } = await import('../runs');
        const found = await listRuns(await resolveTarget(common()), options);
        if (options.json) printJson(found.map(publicRun));
        else process.stdout.write(`${runsTable(found)}\n`);
      },
    );

  runs
    .command('show')
    .description('one run: stages with status and duration, gate reasons, approval, the tail of the build log')
    .argument('<run>', 'run id, or its first characters')
    .option('--lines <n>', 'build log lines', countOption('--lines'), 20)
    .option('--json', 'print the run record as JSON')
    .action(async (id: string, options: { lines: number; json?: boolean }) => {
      const { resolveTarget } = await import('../target');
      const { buildLogTail, describeRun, findRun } = await import('../runs');
      const target = await resolveTarget(common());
      const run = await findRun(target, id);
      if (options.json) return printJson(publicRun(run));
      process.stdout.write(`${describeRun(run, await buildLogTail(target, run, options.lines))}\n`);
    });

  for (const decision of ['approve', 'reject'] as const) {
    runs
      .command(decision)
      .description(`${decision} a run waiting for approval (in AWS your IAM principal decides; locally --as names who)`)
      .argument('<run>', 'run id, or its first characters')
      .requiredOption('--reason <text>', 'why: every decision is recorded with its reason')
      .option('--as <identity>', 'local mode: the identity deciding (e.g. bob)')
      .action(async (id: string, options: { reason: string; as?: string }) => {
        const { resolveTarget, sendDecision } = await import('../target');
        const { findRun } = await import('../runs');
        const target = await resolveTarget(common());
        const run = await findRun(target, id);
        const answer = await sendDecision(target, {
          runId: run.runId,
          decision,
          reason: options.reason,
          ...(options.as ? { as: options.as } : {}),
        });
        const outcome = accepted(answer) as { outcome: string; approvals?: number; needed?: number };
        process.stdout.write(
          outcome.outcome === 'recorded'
            ? `Recorded: ${outcome.approvals} of ${outcome.needed} approvals; run ${run.runId.slice(0, 12)} keeps waiting.\n`
            : `Run ${run.runId.slice(0, 12)} ${outcome.outcome}.\n`,
        );
      });
  }

  runs
    .command('cancel')
    .description('stop a run; a run that is deploying has its deployment stopped and rolled back')
    .argument('<run>', 'run id, or its first characters')
    .requiredOption('--reason <text>', 'why: recorded in the audit ledger')
    .option('--as <identity>', 'local mode: who cancels (an operator identity of gantry.config.yaml)')
    .action(async (id: string, options: { reason: string; as?: string }) => {
      const { run, out } = await runAction(common(), id, 'cancel', { reason: options.reason }, options.as);
      process.stdout.write(
        out.outcome === 'deployment_stopped'
          ? `Run ${run.runId.slice(0, 12)}: deployment stopped; CodeDeploy sends traffic back to the previous version and the run fails with your reason.\n`
          : `Run ${run.runId.slice(0, 12)} cancelled.\n`,
      );
    });

  runs
    .command('retry')
    .description("run an ended run's commit again as a new run: built, gated and approved again (linked and audited)")
    .argument('<run>', 'run id, or its first characters')
    .requiredOption('--reason <text>', 'why: recorded in the audit ledger')
    .option(
      '--accept-configuration <digest>',
      'release a changed Lambda configuration (layers, handler, runtime, environment): exactly the one whose digest the refusal (deploy.refused, check configuration) names',
    )
    .option('--as <identity>', 'local mode: who retries (an operator identity of gantry.config.yaml)')
    .option('--json', 'print the new run as JSON')
    .action(
      async (id: string, options: { reason: string; acceptConfiguration?: string; as?: string; json?: boolean }) => {
        const digest = options.acceptConfiguration;
        if (digest !== undefined && !CONFIGURATION_DIGEST.test(digest))
          throw new UsageError(
            `--accept-configuration takes the 64 lowercase hex digits its refusal names (gantry audit query --run <run> --type deploy.refused), not ${JSON.stringify(digest.slice(0, 80))}`,
          );
        const out = (
          await runAction(
            common(),
            id,
            'retry',
            { reason: options.reason, ...(digest === undefined ? {} : { acceptConfiguration: digest }) },
            options.as,
          )
        ).out as { runId: string; retryOf: string; commit: string; environment: string | null; queued: boolean };
        if (options.json) return printJson(out);
        process.stdout.write(
          `Retrying commit ${out.commit.slice(0, 12)}${out.environment ? ` for ${out.environment}` : ''} as a new run (retry of ${out.retryOf.slice(0, 12)})${out.queued ? ', queued behind the run active in its lane' : ''}.\n` +
            (digest === undefined
              ? ''
              : `It may release a changed Lambda configuration only if it is ${digest.slice(0, 12)}…; any approval it needs must come from someone else.\n`) +
            `New run: ${out.runId}  (follow it: gantry runs show ${out.runId})\n`,
        );
      },
    );

  runs
    .command('rollback')
    .description('redeploy the last good revision of an environment as a new run (linked and audited)')
    .argument('<run|env>', 'a run (roll back what it deployed) or an environment name (roll back what it runs now)')
    .requiredOption('--reason <text>', 'why: recorded in the audit ledger')
    .option('--pipeline <name>', 'when several pipelines deploy to the environment')
    .option('--as <identity>', 'local mode: who rolls back (an operator identity of gantry.config.yaml)')
    .option('--json', 'print the new run as JSON')
    .action(async (subject: string, options: { reason: string; pipeline?: string; as?: string; json?: boolean }) => {
      const { resolveTarget, callOperatorApi } = await import('../target');
      const { findRun } = await import('../runs');
      const target = await resolveTarget(common());
      const run = /^[0-9a-f]{6,}$|^rollback-/.test(subject)
        ? await findRun(target, subject).catch(() => undefined)
        : undefined;
      const request = run
        ? { runId: run.runId, reason: options.reason }
        : { environment: subject, reason: options.reason, ...(options.pipeline ? { pipeline: options.pipeline } : {}) };
      const out = accepted(await callOperatorApi(target, 'rollbacks', request, options.as)) as {
        runId: string;
        environment: string;
        rollbackOf: string;
        toRunId: string;
        version: string;
        queued: boolean;
      };
      if (options.json) return printJson(out);
      process.stdout.write(
        `Rolling ${out.environment} back to version ${out.version} (first released by run ${out.toRunId.slice(0, 12)}), undoing run ${out.rollbackOf.slice(0, 12)}.\n` +
          (out.queued
            ? `It waits for its lane behind the run active in ${out.environment} (cancel that run to roll back at once).\n`
            : '') +
          `New run: ${out.runId}  (follow it: gantry runs show ${out.runId})\n`,
      );
    });
}

/** The operator API's answer, or the error it gave, as the CLI reports errors. */
/** An operator action on one run (`runs/<run>/<action>`): the run the id names, and the API's answer. */
async function runAction(
  flags: Common,
  id: string,
  action: 'cancel' | 'retry',
  body: Record<string, unknown>,
  as: string | undefined,
): Promise<{ run: { runId: string }; out: Record<string, unknown> }> {
  const { resolveTarget, callOperatorApi } = await import('../target');
  const { findRun } = await import('../runs');
  const target = await resolveTarget(flags);
  const run = await findRun(target, id);
  return {
    run,
    out: accepted(await callOperatorApi(target, `runs/${encodeURIComponent(run.runId)}/${action}`, body, as)),
  };
}

function accepted(answer: { status: number; body: Record<string, unknown> }): Record<string, unknown> {
  const error = answer.body.error as { code?: string; message?: string } | undefined;
  if (answer.status >= 500) throw new CommandFailed(`the operator API failed (${answer.status})`);
  if (error)
    throw answer.status === 400
      ? new UsageError(error.message ?? 'refused')
      : new CommandFailed(`${error.code}: ${error.message}`);
  return answer.body;
}
