import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit';
import { registerGatesCommands } from './commands/gates';
import { registerLocalCommands } from './commands/local';
import { registerRunsCommands } from './commands/runs';
import { registerWebhookCommands } from './commands/webhook';
import { CommandFailed, UsageError } from './errors';

/** The `gantry` program: each command group registers itself and loads its code lazily. */
export function buildProgram(): Command {
  const program = new Command('gantry')
    .description('Gantry: an event-driven CI/CD control plane on AWS, also runnable whole on this machine')
    .showHelpAfterError()
    .exitOverride();
  registerWebhookCommands(program);
  registerLocalCommands(program);
  registerRunsCommands(program);
  registerGatesCommands(program);
  registerAuditCommands(program);
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
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
    process.stderr.write(`gantry: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`gantry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

process.exitCode = await main(process.argv);
