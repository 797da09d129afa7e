import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { printableLines } from '../shared/text/printable';
import { englishMessages } from '../shared/zod-messages';
import { registerAuditCommands } from './commands/audit';
import { registerConfigCommands } from './commands/config';
import { registerDlqCommands } from './commands/dlq';
import { registerGatesCommands } from './commands/gates';
import { registerLocalCommands } from './commands/local';
import { registerMetricsCommands } from './commands/metrics';
import { registerProvenanceCommands } from './commands/provenance';
import { registerRunsCommands } from './commands/runs';
import { registerWebhookCommands } from './commands/webhook';
import { CommandFailed, UsageError } from './errors';

/** The `gantry` program: each command group registers itself and loads its code lazily. */
export function buildProgram(): Command {
  const program = new Command('gantry')
    .description('Gantry: an event-driven CI/CD control plane on AWS, also runnable whole on this machine')
    .version(packageJson.version, '-V, --version', 'print the version of gantry')
    .showHelpAfterError()
    .exitOverride();
  registerWebhookCommands(program);
  registerLocalCommands(program);
  registerRunsCommands(program);
  registerGatesCommands(program);
  registerAuditCommands(program);
  registerProvenanceCommands(program);
  registerDlqCommands(program);
  registerMetricsCommands(program);
  registerConfigCommands(program);
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  englishMessages();
  try {
    await buildProgram().parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    return exitCodeOf(error);
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are exits with status 0; anything else commander reports is a usage error.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof UsageError || error instanceof CommandFailed) {
    // A refusal may quote what the ledger or a sender holds: its lines stay lines, nothing else acts.
    process.stderr.write(`gantry: ${printableLines(error.message).join('\n')}\n`);
    return error.exitCode;
  }
  process.stderr.write(`gantry: ${unexpected(error)}\n`);
  return 1;
}

/**
 * One line for an error nobody anticipated (a refused connection, missing AWS credentials):
 * its kind and message, with the stack only when GANTRY_DEBUG asks for it.
 */
function unexpected(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (process.env.GANTRY_DEBUG) return error.stack ?? error.message;
  const kind = error.name === 'Error' ? '' : `${error.name}: `;
  const hint =
    error.name === 'CredentialsProviderError'
      ? ' (sign in with `aws sso login`, pass --profile, or set AWS credentials)'
      : ' (GANTRY_DEBUG=1 shows the stack)';
  return `${kind}${error.message}${hint}`;
}

process.exitCode = await main(process.argv);
