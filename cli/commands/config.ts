import type { Command } from 'commander';
import { CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE } from '../../infra/config/file';

/** `gantry config …`: the Gantry config checked on this machine, no AWS needed. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check the Gantry config offline');

  config
    .command('validate')
    .description(
      'report every problem of the config with its file:line:column (exit 1), or print what each pipeline ' +
        'will do: triggers → environments → approvals → deploy targets (exit 0); exit 2 when the file cannot be read',
    )
    .option('--file <file>', `the config (env ${CONFIG_FILE_ENV}, default ${DEFAULT_CONFIG_FILE})`)
    .option('--json', 'print {file, valid, problems, warnings, pipelines} as JSON')
    .action(async (options: { file?: string; json?: boolean }) => {
      const { validateConfig } = await import('../config');
      validateConfig(options);
    });
}
