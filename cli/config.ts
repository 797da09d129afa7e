import type { Gates } from '../events';
import {
  ConfigError,
  type ConfigProblem,
  configFilePath,
  formatProblem,
  readGantryConfig,
  validateGantryConfig,
} from '../infra/config/load';
import { configWarnings } from '../infra/config/schema';
import { type EnvironmentSummary, type PipelineSummary, summarize } from '../infra/config/summary';
import { CommandFailed, UsageError } from './errors';
import { table } from './format';
import { printJson } from './io';

/** What `gantry config validate --json` prints. */
export interface ValidationReport {
  readonly file: string;
  readonly valid: boolean;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly string[];
  /** What each pipeline does; null when the config is invalid. */
  readonly pipelines: readonly PipelineSummary[] | null;
}

/**
 * `gantry config validate`: every problem of the config with its position (exit 1), or what each
 * pipeline will do (exit 0). A file that cannot be read is a usage error (exit 2).
 */
export function validateConfig(options: { readonly file?: string; readonly json?: boolean }): void {
  const report = validationReport(options.file);
  if (options.json) printJson(report);
  else process.stdout.write(report.valid ? describeValid(report) : problemLines(report.problems));
  if (!report.valid) {
    const count = report.problems.length;
    throw new CommandFailed(`${count} problem${count === 1 ? '' : 's'} in ${report.file}`);
  }
}

export function validationReport(file?: string): ValidationReport {
  const { text, source } = readConfig(configFilePath(file));
  const result = validateGantryConfig(text, source);
  if (result.config === null)
    return { file: source, valid: false, problems: result.problems, warnings: [], pipelines: null };
  return {
    file: source,
    valid: true,
    problems: [],
    warnings: configWarnings(result.config),
    pipelines: summarize(result.config),
  };
}

function readConfig(path: string) {
  try {
    return readGantryConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function problemLines(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${formatProblem(p)}\n`).join('');
}

function describeValid(report: ValidationReport): string {
  const pipelines = report.pipelines ?? [];
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return [
    `${report.file}: valid, ${count(pipelines.length, 'pipeline')}`,
    ...pipelines.flatMap((p) => ['', ...describePipeline(p)]),
    ...(report.warnings.length > 0 ? ['', ...report.warnings.map((w) => `warning: ${w}`)] : []),
    '',
  ].join('\n');
}

/** A pipeline as a reader follows a change through it: trigger, environment, approval, deploy target. */
export function describePipeline(p: PipelineSummary): string[] {
  const { push, tags, pullRequests } = p.triggers;
  const lines = [`${p.name}: ${p.source.provider} ${p.source.repository} (connection ${p.source.connection})`];
  if (push) {
    lines.push(`  push to ${globs(push.branches, push.exclude)}`);
    const rows = p.environments.map(environmentRow);
    if (p.buildOnlyExample !== null)
      rows.push(['any other', '-', '-', `build and gates only (e.g. ${p.buildOnlyExample})`]);
    lines.push(...indent(table(['BRANCHES', 'ENVIRONMENT', 'APPROVAL', 'DEPLOY'], rows), '    '));
  } else if (p.environments.length > 0) {
    lines.push(`  no push trigger: environments ${p.environments.map((e) => e.name).join(', ')} never receive a run`);
  }
  if (tags) lines.push(`  tags ${globs(tags.include, tags.exclude)}: build and gates, never deploy`);
  if (pullRequests)
    lines.push(
      `  pull requests into ${globs(pullRequests.targetBranches, pullRequests.exclude)}: untrusted build and gates, never deploy; forks ${pullRequests.forks === 'build' ? 'built' : 'skipped'}`,
    );
  lines.push(
    `  build ${p.build.buildspec} (${p.build.computeSize}, ${p.build.timeoutMinutes} min); gates ${gatesText(p.gates)}`,
    `  concurrency ${p.concurrency}; operators ${p.operators.length > 0 ? p.operators.join(', ') : 'none beyond approvers'}`,
  );
  return lines;
}

function environmentRow(env: EnvironmentSummary): string[] {
  const branches = env.example === null ? `${env.branches.join(', ')} (no push reaches it)` : env.branches.join(', ');
  return [branches, env.name, approvalText(env.approval), deployText(env.deploy)];
}

function approvalText(approval: EnvironmentSummary['approval']): string {
  if (approval === null) return 'none';
  const who = approval.approverGroups.join(', ') || 'nobody';
  const people = approval.approvers.length > 0 ? ` (${approval.approvers.join(', ')})` : '';
  const duties = approval.separationOfDuties ? ', not the author or pusher' : '';
  return `${approval.minApprovals} of ${who}${people}${duties}, within ${minutes(approval.timeoutMinutes)}`;
}

function deployText(deploy: EnvironmentSummary['deploy']): string {
  if (deploy === null) return 'none (build and gates only)';
  return `${deploy.kind} ${deploy.target} via ${deploy.application}/${deploy.deploymentGroup}, ${deploy.strategy}, bake ${minutes(deploy.bakeMinutes)}`;
}

function gatesText(gates: Gates): string {
  const parts = Object.entries(gates).map(([name, value]) =>
    typeof value === 'object' ? `${name} ${JSON.stringify(value)}` : `${name} ${String(value)}`,
  );
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function globs(include: readonly string[], exclude: readonly string[]): string {
  return exclude.length > 0 ? `${include.join(', ')} except ${exclude.join(', ')}` : include.join(', ');
}

function minutes(n: number): string {
  if (n >= 60 && n % 60 === 0) return `${n / 60} h`;
  return `${n} min`;
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((line) => `${prefix}${line}`);
}
