import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { TtlCache } from './ttl-cache';

/**
 * A connection's secret document in Secrets Manager. A plain string is read as the webhook
 * secret alone; the JSON form adds the provider API token used to report commit status.
 */
export const ConnectionSecretSchema = z.union([
  z.object({ webhookSecret: z.string().check(z.minLength(1)), apiToken: z.optional(z.string()) }),
  z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((webhookSecret) => ({ webhookSecret, apiToken: undefined })),
  ),
]);
export type ConnectionSecret = z.infer<typeof ConnectionSecretSchema>;

/** The secret values a connection accepts now: the current one first, then the previous (rotation). */
export interface ConnectionSecrets {
  readonly current: ConnectionSecret;
  readonly previous?: ConnectionSecret;
  /** When the current value became current (its version's creation): the rotation's time. */
  readonly rotatedAt?: Date;
}

/** Port: where connection secrets come from. */
export interface SecretSource {
  connectionSecrets(secretId: string): Promise<ConnectionSecrets>;
}

/** The secret could not be read (not found, malformed, or Secrets Manager unavailable). */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';

  constructor(
    readonly secretId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`secret ${secretId} is unavailable: ${reason}`, options);
  }
}

/**
 * Reads connection secrets from Secrets Manager through a TTL cache: `AWSCURRENT` and, when a
 * rotation left one, `AWSPREVIOUS`, so deliveries signed with either verify during rotation.
 */
export class SecretsManagerSecretSource implements SecretSource {
  private readonly cache: TtlCache<ConnectionSecrets>;

  constructor(
    private readonly client: SecretsManagerClient,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }

  connectionSecrets(secretId: string): Promise<ConnectionSecrets> {
    return this.cache.get(secretId, (id) => this.load(id));
  }

  private async load(secretId: string): Promise<ConnectionSecrets> {
    try {
      return await this.loadStages(secretId);
    } catch (error) {
      if (error instanceof SecretUnavailableError) throw error;
      throw new SecretUnavailableError(secretId, error instanceof Error ? error.name : 'read failed', { cause: error });
    }
  }

  private async loadStages(secretId: string): Promise<ConnectionSecrets> {
    const [current, previous] = await Promise.all([
      this.stage(secretId, 'AWSCURRENT'),
      this.stage(secretId, 'AWSPREVIOUS').catch((error: unknown) => {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }),
    ]);
    if (current === undefined) throw new SecretUnavailableError(secretId, 'it has no current value');
    const rotatedAt = current.createdAt === undefined ? {} : { rotatedAt: current.createdAt };
    return previous === undefined
      ? { current: current.secret, ...rotatedAt }
      : { current: current.secret, previous: previous.secret, ...rotatedAt };
  }

  private async stage(
    secretId: string,
    stage: string,
  ): Promise<{ secret: ConnectionSecret; createdAt: Date | undefined } | undefined> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    if (out.SecretString === undefined) return undefined;
    return { secret: parseConnectionSecret(secretId, out.SecretString), createdAt: out.CreatedDate };
  }
}

/** Parses a secret string: JSON `{webhookSecret, apiToken?}` or the bare webhook secret. */
export function parseConnectionSecret(secretId: string, text: string): ConnectionSecret {
  let value: unknown = text;
  if (text.trimStart().startsWith('{')) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new SecretUnavailableError(secretId, 'its value looks like JSON but does not parse');
    }
  }
  const parsed = ConnectionSecretSchema.safeParse(value);
  if (!parsed.success) throw new SecretUnavailableError(secretId, 'its value has no webhookSecret');
  return parsed.data;
}

/**
 * Every webhook secret a delivery may be signed with, current first. With a `previousFor`
 * window, the previous secret only within that long of the rotation (and never when the
 * rotation's time is unknown), so rotating away a leaked secret revokes it once the window ends.
 */
export function webhookSecretsOf(
  secrets: ConnectionSecrets,
  window?: { readonly now: Date; readonly previousForMs: number },
): string[] {
  const previousValid =
    secrets.previous !== undefined &&
    (window === undefined ||
      (secrets.rotatedAt !== undefined && window.now.getTime() - secrets.rotatedAt.getTime() <= window.previousForMs));
  return previousValid && secrets.previous !== undefined
    ? [secrets.current.webhookSecret, secrets.previous.webhookSecret]
    : [secrets.current.webhookSecret];
}

/** Port: a connection's provider API token (commit statuses, source archives, a change's history). */
export interface TokenSource {
  /** Undefined when the connection has none: statuses are then skipped and fetches refused, saying so. */
  apiToken(secretId: string): Promise<string | undefined>;
}

/**
 * The secret that holds a connection's API token, beside the one that holds its webhook secret:
 * the internet-facing webhook receiver may read only the latter.
 */
export function apiTokenSecretName(connectionSecretId: string): string {
  return `${connectionSecretId}/api-token`;
}

/**
 * API tokens from their own secrets (`<connection secret>/api-token`, `{"apiToken": …}` or the
 * bare token), through a TTL cache. A connection set up before 2026-12 keeps its token in the
 * connection secret, beside the webhook secret the receiver reads: it is read there while the
 * token's own secret holds none (README, "Token scopes", says how to move it).
 */
export class SecretsManagerTokenSource implements TokenSource {
  private readonly cache: TtlCache<string | undefined>;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly connections: SecretSource,
    ttlMs: number,
    private readonly options: {
      readonly now?: () => number;
      /** Told each time a token is read beside the webhook secret, where the receiver can read it too. */
      readonly onLegacy?: (secretId: string) => void;
    } = {},
  ) {
    this.cache = new TtlCache(ttlMs, options.now);
  }

  apiToken(secretId: string): Promise<string | undefined> {
    return this.cache.get(secretId, async (id) => {
      const own = await this.own(id);
      if (own !== undefined) return own;
      const legacy = (await this.connections.connectionSecrets(id)).current.apiToken;
      if (legacy !== undefined && legacy.trim() !== '') this.options.onLegacy?.(id);
      return legacy;
    });
  }

  private async own(secretId: string): Promise<string | undefined> {
    const name = apiTokenSecretName(secretId);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      return parseApiToken(name, out.SecretString ?? '');
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      if (error instanceof SecretUnavailableError) throw error;
      throw new SecretUnavailableError(name, error instanceof Error ? error.name : 'read failed', { cause: error });
    }
  }
}

/** A token secret's value: `{"apiToken": …}` or the bare token; `{}` (as deployed) or empty holds none. */
export function parseApiToken(secretId: string, text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed === '' ? undefined : trimmed;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new SecretUnavailableError(secretId, 'its value looks like JSON but does not parse');
  }
  const token = (value as { apiToken?: unknown }).apiToken;
  if (token !== undefined && typeof token !== 'string')
    throw new SecretUnavailableError(secretId, 'its apiToken is not a string');
  return token === undefined || token.trim() === '' ? undefined : token;
}
