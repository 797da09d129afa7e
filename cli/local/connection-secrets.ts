import { connectionSecretName, type GantryConfig } from '../../infra/config/schema';
import { randomString, seedSecretsFile } from '../../local/secretsmanager';

/**
 * Azure DevOps service hooks authenticate only with Basic credentials, so the receiver reads an
 * azure-devops connection's `webhookSecret` as `user:password`. The generated demo value (one
 * random string) has no user, so these connections get `gantry:<random>` before first start
 * (their demo `apiToken`, like every local connection's, is in the token's own secret);
 * `gantry local push` then works as is.
 */
export function seedLocalConnectionSecrets(config: GantryConfig, secretsFile: string): void {
  const values = config.connections
    .filter((connection) => connection.provider === 'azure-devops')
    .map((connection) => [
      connectionSecretName(connection),
      JSON.stringify({ webhookSecret: `gantry:${randomString(40, true)}` }),
    ]);
  seedSecretsFile(secretsFile, Object.fromEntries(values));
}
