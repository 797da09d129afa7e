import { connectionSecretName, type GantryConfig } from '../../infra/config/schema';
import { apiTokenSecretName, parseApiToken } from '../../shared/secrets/secrets';
import type { SecretsManagerService } from './service';

/**
 * Every connection's API token, as the local secrets hold them now, trimmed as the status and
 * source clients send them; a rotation's previous token too, which functions send until their
 * cache of the secret expires (the provider's own overlap while both are valid).
 */
export function connectionTokens(config: GantryConfig, secrets: SecretsManagerService): Set<string> {
  const tokens = new Set<string>();
  for (const connection of config.connections) {
    // Its token's own secret (`{"apiToken": …}` or the bare token), and (set up before 2026-12) the
    // connection secret's `apiToken`: never its bare value, which is the webhook secret.
    const name = connectionSecretName(connection);
    const own = apiTokenSecretName(name);
    for (const [value, bare] of [
      ...secrets.valuesOf(own).map((v) => [v, true] as const),
      ...secrets.valuesOf(name).map((v) => [v, false] as const),
    ]) {
      try {
        const token = value.trim().startsWith('{') ? parseApiToken(own, value) : bare ? value : undefined;
        if (typeof token === 'string' && token.trim() !== '') tokens.add(token.trim());
      } catch {
        // a value that does not parse names no token
      }
    }
  }
  return tokens;
}
