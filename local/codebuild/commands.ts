import { PhaseFailure } from './errors';
import type { BuildLog } from './log';
import type { BuildShell } from './shell';

/**
 * Runs a phase's commands (or its `finally` block) in the build's shell until one fails, as
 * CodeBuild does: the remaining commands are skipped and the failure is returned. Returns
 * undefined when every command succeeded, or when the build was halted under them
 * (`halted` says which).
 */
export async function runCommands(
  shell: BuildShell,
  commands: readonly string[],
  log: BuildLog,
  halted: () => boolean,
): Promise<PhaseFailure | undefined> {
  for (const command of commands) {
    if (halted()) return undefined;
    log.system(`Running command ${command}`);
    const code = await shell.run(command);
    log.flush();
    if (code === 0) continue;
    if (code === undefined) {
      if (halted()) return undefined;
      const context = { statusCode: 'LOCAL_RUNTIME_ERROR', message: 'the build shell ended unexpectedly' };
      return new PhaseFailure(context, 'FAULT');
    }
    log.system(`Command did not exit successfully ${command} exit status ${code}`);
    const message = `Error while executing command: ${command}. Reason: exit status ${code}`;
    return new PhaseFailure({ statusCode: 'COMMAND_EXECUTION_ERROR', message });
  }
  return undefined;
}
