import { BuildspecError } from './errors';

/** A value as the YAML parser hands it over, not yet checked. */
export type Yaml = unknown;

type Scalar = string | number | boolean;

function isScalar(value: Yaml): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A mapping, or the YAML_FILE_ERROR CodeBuild gives for anything else. */
export function asMap(value: Yaml, where: string): Record<string, Yaml> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BuildspecError(`Expected ${where} to be of map type`);
  }
  return value as Record<string, Yaml>;
}

/**
 * Refuses keys outside `allowed`; a key in `refused` names a feature local mode cannot run
 * faithfully, and is refused with that reason rather than as a typo.
 */
export function checkKeys(
  map: Record<string, Yaml>,
  where: string,
  allowed: readonly string[],
  refused: Readonly<Record<string, string>>,
): void {
  for (const key of Object.keys(map)) {
    const reason = refused[key];
    if (reason !== undefined) throw new BuildspecError(`${reason} is not supported by Gantry local mode`);
    if (!allowed.includes(key)) throw new BuildspecError(`Unknown key "${key}" in ${where}`);
  }
}

/** A sequence of strings (numbers allowed, as YAML reads `- 42`); absent is empty. */
export function asStringList(value: Yaml, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BuildspecError(`Expected ${where} to be of sequence type`);
  return value.map((item: Yaml, i) => {
    if (typeof item === 'string' || typeof item === 'number') return String(item);
    throw new BuildspecError(`Expected ${where}[${i}] to be of string type: found subkeys instead`);
  });
}

/** A mapping of names to scalars, each read as a string (`PORT: 8080` is "8080"). */
export function asScalarMap(value: Yaml, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const map = asMap(value, where);
  const out: Record<string, string> = {};
  for (const [name, item] of Object.entries(map)) {
    if (!isScalar(item)) throw new BuildspecError(`Expected ${where}.${name} to be of string type`);
    out[name] = String(item);
  }
  return out;
}

export function asOptionalString(value: Yaml, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isScalar(value) || typeof value === 'boolean')
    throw new BuildspecError(`Expected ${where} to be of string type`);
  return String(value);
}

/** `yes`/`no` as buildspecs write them, or a YAML boolean; absent is false. */
export function asBool(value: Yaml, where: string): boolean {
  if (value === undefined || value === null) return false;
  if (value === true || value === 'yes' || value === 'true') return true;
  if (value === false || value === 'no' || value === 'false') return false;
  throw new BuildspecError(`Expected ${where} to be yes or no`);
}
