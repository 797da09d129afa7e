import { epochSeconds } from '../edge/aws-json';
import { SecretsManagerError } from './errors';
import { type LocalSecret, versionStages } from './secret';

const FILTER_KEYS = new Set(['name', 'all']);

/**
 * ListSecrets over the local secrets, by name. Filters `name` and `all` match name prefixes
 * (a value starting with `!` excludes instead), as Secrets Manager's do; local secrets have
 * no tags or descriptions to filter on, so other keys are refused rather than match nothing.
 */
export function listSecrets(secrets: readonly LocalSecret[], input: Readonly<Record<string, unknown>>) {
  const max = maxResults(input.MaxResults);
  const after = typeof input.NextToken === 'string' ? Buffer.from(input.NextToken, 'base64url').toString('utf8') : '';
  const filters = parseFilters(input.Filters);
  const matching = secrets
    .filter((s) => s.name > after && filters.every((accepts) => accepts(s.name)))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = matching.slice(0, max);
  const last = page.at(-1);
  return {
    SecretList: page.map((secret) => ({
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: epochSeconds(secret.createdAt),
      LastChangedDate: epochSeconds(secret.lastChangedAt),
      SecretVersionsToStages: versionStages(secret),
    })),
    NextToken: matching.length > page.length && last ? Buffer.from(last.name).toString('base64url') : undefined,
  };
}

function maxResults(value: unknown): number {
  if (value === undefined || value === null) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100) {
    throw new SecretsManagerError(
      'ValidationException',
      `1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  return value;
}

function parseFilters(value: unknown): ((name: string) => boolean)[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SecretsManagerError('InvalidParameterException', 'Filters must be a list.');
  return value.map((filter: unknown) => {
    const { Key, Values } = (filter ?? {}) as Record<string, unknown>;
    if (typeof Key !== 'string' || !FILTER_KEYS.has(Key)) {
      throw new SecretsManagerError(
        'InvalidRequestException',
        `Filter key ${String(Key)} is not supported by the local Secrets Manager emulator (Gantry local mode): use name`,
      );
    }
    const values = Array.isArray(Values) ? Values.filter((v): v is string => typeof v === 'string') : [];
    return (name: string) =>
      values.some((v) => (v.startsWith('!') ? !name.startsWith(v.slice(1)) : name.startsWith(v)));
  });
}
