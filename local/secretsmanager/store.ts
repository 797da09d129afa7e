import { randomUUID } from 'node:crypto';
import { checkEnvNames } from './env';
import { readSecretsFile, type SecretsFile, type StoredSecret, writeSecretsFile } from './file';
import { demoValue, type GenerateSpec } from './generate';

/** A secret of the template: its `Name` and, when it has one, its `SecretString` or `GenerateSecretString`. */
export interface SecretSpec {
  readonly name: string;
  readonly value?: string;
  readonly generate?: GenerateSpec;
}

/** The file's secrets after first-start completion, and when the file was last written. */
export interface EnsuredSecrets {
  readonly secrets: SecretsFile;
  readonly modifiedAt: number;
}

/**
 * Makes sure the file holds every secret of the template: a missing file or entry gets a demo
 * value (see `demoValue`), an entry without version ids gets them. Values already there are
 * never replaced. The file is written (mode 0600) only when something was added.
 */
export function ensureSecretsFile(file: string, specs: readonly SecretSpec[]): EnsuredSecrets {
  const existing = readSecretsFile(file);
  const secrets: SecretsFile = { ...existing?.secrets };
  let changed = existing === undefined;
  for (const spec of specs) {
    if (Object.hasOwn(secrets, spec.name)) continue;
    secrets[spec.name] = { current: spec.value ?? demoValue(spec.name, spec.generate) };
    changed = true;
  }
  for (const [name, secret] of Object.entries(secrets)) {
    const withIds = withVersionIds(secret);
    if (withIds !== secret) changed = true;
    secrets[name] = withIds;
  }
  checkEnvNames(Object.keys(secrets));
  if (!changed && existing !== undefined) return existing;
  writeSecretsFile(file, secrets);
  return { secrets, modifiedAt: Date.now() };
}

/**
 * Adds `values` for the secrets the file does not hold yet, before first start, for a value
 * whose form the template cannot say (e.g. `user:password`). Values already there are never
 * replaced; the file is written (mode 0600) only when something was added.
 */
export function seedSecretsFile(file: string, values: Readonly<Record<string, string>>): void {
  const secrets: SecretsFile = { ...readSecretsFile(file)?.secrets };
  const missing = Object.entries(values).filter(([name]) => !Object.hasOwn(secrets, name));
  if (missing.length === 0) return;
  for (const [name, current] of missing) secrets[name] = { current };
  writeSecretsFile(file, secrets);
}

function withVersionIds(secret: StoredSecret): StoredSecret {
  const needsPrevious = secret.previous !== undefined && secret.previousVersionId === undefined;
  if (secret.currentVersionId !== undefined && !needsPrevious) return secret;
  return {
    ...secret,
    currentVersionId: secret.currentVersionId ?? randomUUID(),
    previousVersionId: secret.previous === undefined ? undefined : (secret.previousVersionId ?? randomUUID()),
  };
}

/**
 * Records a new current value in the file, the old one becoming previous, as PutSecretValue
 * does. The file is read again first so entries edited by hand meanwhile are kept.
 */
export function persistRotation(file: string, name: string, value: string, versionId: string): void {
  const secrets: SecretsFile = { ...readSecretsFile(file)?.secrets };
  const old = secrets[name];
  secrets[name] = {
    current: value,
    currentVersionId: versionId,
    previous: old?.current,
    previousVersionId: old?.currentVersionId,
  };
  writeSecretsFile(file, secrets);
}
