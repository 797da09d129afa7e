import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod/mini';
import { SecretsFileError } from './errors';

/**
 * One secret in the file. `previous` is what AWSPREVIOUS returns, so a rotation can be tried
 * locally; version ids are added by local mode so they stay the same across restarts.
 */
export interface StoredSecret {
  readonly current: string;
  readonly previous?: string;
  readonly currentVersionId?: string;
  readonly previousVersionId?: string;
}

/** An entry as written: a bare string is shorthand for `{"current": …}`, for hand-editing. */
const StoredSecretSchema = z.union([
  z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((current): StoredSecret => ({ current })),
  ),
  z.strictObject({
    current: z.string().check(z.minLength(1)),
    previous: z.optional(z.string().check(z.minLength(1))),
    currentVersionId: z.optional(z.string().check(z.minLength(1))),
    previousVersionId: z.optional(z.string().check(z.minLength(1))),
  }),
]);

/** The secrets file: secret name → stored secret. */
export type SecretsFile = Record<string, StoredSecret>;

const SecretsFileSchema = z.record(z.string().check(z.minLength(1)), StoredSecretSchema);

/** Reads the secrets file, or `undefined` when it does not exist yet. */
export function readSecretsFile(file: string): { secrets: SecretsFile; modifiedAt: number } | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SecretsFileError(file, 'cannot be read', { cause: error });
  }
  return { secrets: parseSecrets(file, text), modifiedAt: statSync(file).mtimeMs };
}

function parseSecrets(file: string, text: string): SecretsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SecretsFileError(file, 'is not valid JSON');
  }
  const parsed = SecretsFileSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.map(String).join('.') ?? '';
    throw new SecretsFileError(
      file,
      `entry "${where}" must be a non-empty string or {"current": "…", "previous"?: "…"}`,
    );
  }
  return parsed.data;
}

/**
 * Writes the whole file with mode 0600 (in a 0700 folder when it creates one): written beside
 * it, then renamed over it, so a crash never leaves half a file of secrets.
 */
export function writeSecretsFile(file: string, secrets: SecretsFile): void {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    throw new SecretsFileError(file, 'cannot be written', { cause: error });
  }
}
