import { randomUUID } from 'node:crypto';
import { requiredString } from '../edge/aws-json';
import { SecretsManagerError } from './errors';
import { CURRENT, type LocalSecret } from './secret';
import { stagedVersions } from './versions';

/** What PutSecretValue asks for, validated. */
export interface PutRequest {
  readonly value: string;
  readonly versionId: string;
}

/**
 * Validates PutSecretValue: a SecretString (local mode stores strings only), a token of 32 to
 * 64 characters (the SDK fills one in), no staging labels other than AWSCURRENT, and no secret
 * the environment overrides: its value is the variable's, which PutSecretValue cannot change.
 */
export function parsePut(secret: LocalSecret, input: Readonly<Record<string, unknown>>): PutRequest {
  if (secret.overriddenBy !== undefined) {
    throw new SecretsManagerError(
      'InvalidRequestException',
      `${secret.name} is set by the environment variable ${secret.overriddenBy} in local mode: change the variable instead`,
      secret.name,
    );
  }
  if (input.SecretBinary !== undefined) {
    throw new SecretsManagerError(
      'InvalidRequestException',
      'Local mode stores SecretString values only.',
      secret.name,
    );
  }
  const stages = input.VersionStages;
  if (stages !== undefined && !(Array.isArray(stages) && stages.length === 1 && stages[0] === CURRENT)) {
    throw new SecretsManagerError(
      'InvalidRequestException',
      'Local mode moves only the AWSCURRENT label.',
      secret.name,
    );
  }
  return { value: requiredString(input, 'SecretString'), versionId: tokenOf(input.ClientRequestToken) };
}

function tokenOf(token: unknown): string {
  if (token === undefined || token === null) return randomUUID();
  if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
    throw new SecretsManagerError(
      'ValidationException',
      "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
    );
  }
  return token;
}

/**
 * A retried PutSecretValue (same token) changes nothing and answers with the version as it is;
 * the same token with another value is the ResourceExistsException Secrets Manager gives.
 */
export function existingVersion(secret: LocalSecret, request: PutRequest): string[] | undefined {
  const staged = stagedVersions(secret).find((s) => s.version.id === request.versionId);
  if (staged === undefined) return undefined;
  if (staged.version.value !== request.value) {
    throw new SecretsManagerError(
      'ResourceExistsException',
      "You can't modify an existing version, you can only create a new version.",
      secret.name,
    );
  }
  return [staged.stage];
}

/** The secret after a rotation: the new value current, the old current previous. */
export function rotated(secret: LocalSecret, request: PutRequest, now: number): LocalSecret {
  return {
    ...secret,
    lastChangedAt: now,
    current: { id: request.versionId, value: request.value, createdAt: now },
    previous: secret.current,
  };
}
