/** The config file when nothing else names one. */
export const DEFAULT_CONFIG_FILE = 'gantry.config.yaml';

/** The environment variable that names the config file for `cdk synth`, `npm start` and the CLI. */
export const CONFIG_FILE_ENV = 'GANTRY_CONFIG';

/**
 * Which config file to read: the one a command names, else `GANTRY_CONFIG`, else
 * `gantry.config.yaml`. Empty values count as unset, so `GANTRY_CONFIG=` never names the file "".
 * Kept free of heavy imports: the CLI resolves the path before it loads any command.
 */
export function configFilePath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  return env[CONFIG_FILE_ENV] || DEFAULT_CONFIG_FILE;
}
