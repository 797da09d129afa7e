import type { Command } from 'commander';
import type { GateEvaluation } from '../../events';
import { CommandFailed, UsageError } from '../errors';
import { collect, printJson } from '../io';

interface EvaluateOptions {
  readonly junit: string[];
  readonly coverage: string[];
  readonly sarif: string[];
  readonly config?: string;
}

/** `gantry gates …`: the EvaluateGates step of a pipeline, run on report files on this machine. */
export function registerGatesCommands(program: Command): void {
  const gates = program.command('gates').description('check build reports against quality and security gates');

  gates
    .command('evaluate')
    .description(
      'evaluate the gates against build reports and print {passed, reasons, metrics} as JSON; ' +
        'exit 0 when they pass, 1 when they fail, 2 when a report or the config cannot be read',
    )
    .option('--junit <file>', 'a JUnit XML report, or a folder of them (repeatable)', collect, [])
    .option('--coverage <file>', 'a coverage report: Cobertura, JaCoCo or Clover XML, or LCOV', collect, [])
    .option('--sarif <file>', 'a SARIF 2.1.0 log (repeatable)', collect, [])
    .option(
      '--config <file>',
      'the gates as JSON, e.g. {"requireTestsPassed": true, "minLineCoverage": 80} ' +
        '(default: tests must pass when --junit is given, no error-level finding when --sarif is)',
    )
    .action(async (options: EvaluateOptions) => {
      if (options.coverage.length > 1) throw new UsageError('--coverage may be given once');
      if (options.config === undefined && [...options.junit, ...options.coverage, ...options.sarif].length === 0)
        throw new UsageError('nothing to evaluate: give --junit, --coverage or --sarif reports, or a --config');
      const evaluation = await evaluate(options);
      printJson(evaluation);
      if (!evaluation.passed) throw new CommandFailed(`gates failed: ${evaluation.reasons.join('; ')}`);
    });
}

async function evaluate(options: EvaluateOptions): Promise<GateEvaluation> {
  const gates = await import('../../shared/gates');
  try {
    const config =
      options.config === undefined ? gates.impliedGates(options) : await gates.readGatesConfig(options.config);
    return gates.evaluateGates(await gates.readGateReports(options), config);
  } catch (error) {
    if (error instanceof gates.GateError) throw new UsageError(error.message);
    throw error;
  }
}
