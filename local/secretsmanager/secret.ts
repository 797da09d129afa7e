import { createHash, randomUUID } from 'node:crypto';
import { envOverride, secretEnvVar } from './env';
import type { StoredSecret } from './file';

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';

/** One value of a secret, as GetSecretValue returns it. */
export interface SecretVersion {
  readonly id: string;
  readonly value: string;
  /** Epoch ms; for values read from the file, when the file was last written. */
  readonly createdAt: number;
}

/** A secret as the emulator serves it: AWSCURRENT and, after a rotation, AWSPREVIOUS. */
export interface LocalSecret {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly lastChangedAt: number;
  readonly current: SecretVersion;
  readonly previous?: SecretVersion;
  /** The environment variable `current` comes from, when one overrides the file. */
  readonly overriddenBy?: string;
}

/** Where ARNs point. */
export interface SecretAddressing {
  readonly region: string;
  readonly accountId: string;
}

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The secret's ARN: Secrets Manager ends it with `-` and six random characters; here they are
 * derived from the name, so the ARN is the same at every start.
 */
export function secretArn(name: string, { region, accountId }: SecretAddressing): string {
  const digest = createHash('sha256').update(name).digest();
  const suffix = [...digest.subarray(0, 6)].map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
  return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;
}

/** The served form of a stored secret, the environment's override applied (without a previous value). */
export function toLocalSecret(
  name: string,
  stored: StoredSecret,
  context: { readonly arn: string; readonly modifiedAt: number; readonly env: NodeJS.ProcessEnv },
): LocalSecret {
  const { arn, modifiedAt, env } = context;
  const base = { name, arn, createdAt: modifiedAt, lastChangedAt: modifiedAt };
  const override = envOverride(env, name);
  if (override !== undefined) {
    return {
      ...base,
      current: { id: randomUUID(), value: override, createdAt: modifiedAt },
      overriddenBy: secretEnvVar(name),
    };
  }
  const version = (value: string, id: string | undefined): SecretVersion => ({
    id: id ?? randomUUID(),
    value,
    createdAt: modifiedAt,
  });
  return {
    ...base,
    current: version(stored.current, stored.currentVersionId),
    previous: stored.previous === undefined ? undefined : version(stored.previous, stored.previousVersionId),
  };
}

/** Version id → staging labels, as DescribeSecret and ListSecrets show them. */
export function versionStages(secret: LocalSecret): Record<string, string[]> {
  const stages: Record<string, string[]> = { [secret.current.id]: [CURRENT] };
  if (secret.previous !== undefined) stages[secret.previous.id] = [PREVIOUS];
  return stages;
}
