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
    const { connections, mapped } = this.candidates(provider, repository);
    if (mapped || connections.length === 1) return connections[0] as Connection;
    throw new WebhookError('unknown_connection', 'no connection is configured for this repository', {
      provider,
      repository,
    });
  }

  /**
   * The connections whose secret may verify a delivery: the one the repository is mapped to, else
   * every connection of the provider. The receiver tries them all before it says anything about the
   * repository, so that only a sender holding one of their secrets learns whether it is configured.
   */
  candidates(provider: Provider, repository: string | undefined): { connections: Connection[]; mapped: boolean } {
    const mapped = repository === undefined ? undefined : this.byRepository.get(repositoryKey(provider, repository));
    if (mapped !== undefined) return { connections: [mapped], mapped: true };
    const connections = this.byProvider.get(provider) ?? [];
    if (connections.length === 0)
      throw new WebhookError('unknown_connection', `no connection is configured for ${provider}`, {
        provider,
        repository,
      });
    return { connections, mapped: false };
  }
}

function repositoryKey(provider: Provider, repository: string): string {
  return `${provider}:${repository.toLowerCase()}`;
}
