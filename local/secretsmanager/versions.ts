import { SecretsManagerError } from './errors';
import { CURRENT, type LocalSecret, PREVIOUS, type SecretVersion } from './secret';

/** A version and the staging label it carries. */
export interface StagedVersion {
  readonly version: SecretVersion;
  readonly stage: string;
}

/** The secret's versions with their labels, current first. */
export function stagedVersions(secret: LocalSecret): StagedVersion[] {
  const staged: StagedVersion[] = [{ version: secret.current, stage: CURRENT }];
  if (secret.previous !== undefined) staged.push({ version: secret.previous, stage: PREVIOUS });
  return staged;
}

/**
 * The version GetSecretValue returns: by VersionId and/or VersionStage, AWSCURRENT when neither
 * is given. A label no version carries (AWSPREVIOUS before any rotation, AWSPENDING) is the
 * ResourceNotFoundException Secrets Manager gives, which is how callers tell "no previous value".
 */
export function selectVersion(secret: LocalSecret, versionId?: string, stage?: string): StagedVersion {
  const staged = stagedVersions(secret);
  if (versionId !== undefined) {
    const byId = staged.find((s) => s.version.id === versionId);
    if (byId === undefined) throw notFound(secret, `VersionId: ${versionId}`);
    if (stage !== undefined && byId.stage !== stage) throw notFound(secret, `staging label: ${stage}`);
    return byId;
  }
  const wanted = stage ?? CURRENT;
  const byStage = staged.find((s) => s.stage === wanted);
  if (byStage === undefined) throw notFound(secret, `staging label: ${wanted}`);
  return byStage;
}

function notFound(secret: LocalSecret, what: string): SecretsManagerError {
  return new SecretsManagerError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for ${what}`,
    secret.name,
  );
}
