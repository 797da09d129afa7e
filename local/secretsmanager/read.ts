import { envOverride } from './env';
import { LocalSecretNotFoundError } from './errors';
import { readSecretsFile } from './file';

/**
 * A secret's current value as local mode's handlers would get it, read without HTTP: the
 * environment override when set, else the file's value. The demo signs the deliveries it sends
 * with it. The caller must not print it.
 * @throws LocalSecretNotFoundError when neither the environment nor the file has the secret.
 * @throws SecretsFileError when the file cannot be read or parsed.
 */
export function readLocalSecret(file: string, secretName: string, env: NodeJS.ProcessEnv): string {
  const override = envOverride(env, secretName);
  if (override !== undefined) return override;
  const secrets = readSecretsFile(file)?.secrets;
  const stored = secrets !== undefined && Object.hasOwn(secrets, secretName) ? secrets[secretName] : undefined;
  if (stored === undefined) throw new LocalSecretNotFoundError(secretName, file);
  return stored.current;
}
