import * as z from 'zod/mini';
import { type Provider, ProviderSchema } from '../../events';
import { WebhookError } from './errors';

/** A connection: one provider account or instance, and the secret its webhooks are signed with. */
export const ConnectionSchema = z.object({
  name: z.string().check(z.minLength(1)),
  provider: ProviderSchema,
  /** Secrets Manager secret name or ARN. */
  secretId: z.string().check(z.minLength(1)),
  /** Repositories (full names) whose deliveries this connection's secret verifies. */
  repositories: z._default(z.array(z.string()), []),
});
export type Connection = z.infer<typeof ConnectionSchema>;

/**
 * Finds the connection whose secret must verify a delivery: the one the repository is mapped
 * to, else the provider's only connection. Repository names compare case-insensitively.
 */
export class ConnectionDirectory {
  private readonly byRepository = new Map<string, Connection>();
  private readonly byProvider = new Map<Provider, Connection[]>();

  constructor(connections: readonly Connection[]) {
    for (const connection of connections) {
      for (const repo of connection.repositories) {
        this.byRepository.set(repositoryKey(connection.provider, repo), connection);
      }
      this.byProvider.set(connection.provider, [...(this.byProvider.get(connection.provider) ?? []), connection]);
    }
  }

  resolve(provider: Provider, repository: string | undefined): Connection {
    const mapped = repository === undefined ? undefined : this.byRepository.get(repositoryKey(provider, repository));
    if (mapped !== undefined) return mapped;
    const candidates = this.byProvider.get(provider) ?? [];
    if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
    throw new WebhookError(
      'unknown_connection',
      candidates.length === 0
        ? `no connection is configured for ${provider}`
        : `no connection is configured for this repository`,
      { provider, repository },
    );
  }
}

function repositoryKey(provider: Provider, repository: string): string {
  return `${provider}:${repository.toLowerCase()}`;
}
