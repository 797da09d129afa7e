import { SecretsConfigError } from './errors';

/** Prefix of the environment variables that override secret values in local mode. */
export const SECRET_ENV_PREFIX = 'GANTRY_SECRET_';

/**
 * The environment variable that overrides a secret in local mode: `GANTRY_SECRET_` and the
 * secret name upper-cased, every character other than a letter or digit as `_`. For
 * `gantry/connections/github` that is `GANTRY_SECRET_GANTRY_CONNECTIONS_GITHUB`.
 */
export function secretEnvVar(secretName: string): string {
  return `${SECRET_ENV_PREFIX}${secretName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The override for a secret, when its variable is set and not empty. */
export function envOverride(env: NodeJS.ProcessEnv, secretName: string): string | undefined {
  const value = env[secretEnvVar(secretName)];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Fails when two secret names map to one variable (`a/b` and `a-b`): either override would
 * silently apply to both.
 */
export function checkEnvNames(secretNames: Iterable<string>): void {
  const seen = new Map<string, string>();
  for (const name of secretNames) {
    const variable = secretEnvVar(name);
    const other = seen.get(variable);
    if (other !== undefined && other !== name) {
      throw new SecretsConfigError(`secrets "${other}" and "${name}" would both be overridden by ${variable}`);
    }
    seen.set(variable, name);
  }
}
