import type { Command } from 'commander';
import { lowerBound, upperBound } from '../../shared/audit/period';
import { UsageError } from '../errors';
import { collect, printJson } from '../io';
import { type TargetFlags, targetOptions } from '../options';

interface DoraFlags {
  readonly pipeline?: string;
  readonly env?: string;
  readonly from?: string;
  readonly to?: string;
  readonly failureWindow: string;
  readonly hotfixBranch: string[];
  readonly json?: boolean;
}

const DAY = 86_400_000;

/** `gantry metrics …`: delivery metrics computed from the audit ledger. */
export function registerMetricsCommands(program: Command): void {
  const metrics = targetOptions(
    program
      .command('metrics')
      .description(
        'delivery metrics from the audit ledger (local mode when it runs here; AWS with --region or --profile)',
      ),
  );
  metrics
    .command('dora')
    .description(
      "DORA's five metrics per pipeline and environment, each with its band and the ledger records it counted",
    )
    .option('--pipeline <name>', 'only this pipeline')
    .option('--env <environment>', 'only this environment')
    .option('--from <date>', 'from this date or ISO time (default: 30 days before --to)')
    .option(
      '--to <date>',
      'to this date or ISO time, inclusive; a date means the whole day, a time to the minute the whole minute (default: now)',
    )
    .option('--failure-window <hours>', 'a deployment followed by a rollback or hotfix this soon failed', '24')
    .option('--hotfix-branch <glob>', 'branches whose deployments are hotfixes (repeatable)', collect, [])
    .option('--json', 'print the report as JSON')
    .action(async (options: DoraFlags) => {
      const period = periodOf(options);
      const failureWindowHours = Number(options.failureWindow);
      // At most a year: the ledger is read to the window after the period, and a date past that overflows.
      if (!(failureWindowHours >= 0 && failureWindowHours <= 8_784))
        throw new UsageError(
          `--failure-window "${options.failureWindow}" is not a number of hours from 0 to 8784 (a leap year)`,
        );
      const { doraReport, doraTable } = await import('../metrics');
      const target = await (await import('../target')).resolveTarget(metrics.opts<TargetFlags>());
      const report = await doraReport(target, {
        ...period,
        failureWindowHours,
        ...(options.pipeline ? { pipeline: options.pipeline } : {}),
        ...(options.env ? { environment: options.env } : {}),
        ...(options.hotfixBranch.length > 0 ? { hotfixBranches: options.hotfixBranch } : {}),
      });
      if (options.json) printJson(report);
      else process.stdout.write(`${doraTable(report)}\n`);
    });
}

function periodOf(options: DoraFlags): { from: Date; to: Date } {
  try {
    const to = options.to === undefined ? new Date() : upperBound(options.to, '--');
    const from = options.from === undefined ? new Date(to.getTime() - 30 * DAY) : lowerBound(options.from, '--');
    if (from >= to) throw new RangeError(`--from (${from.toISOString()}) must come before --to (${to.toISOString()})`);
    return { from, to };
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}
