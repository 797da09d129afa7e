import { invalidParameter, missingParameter } from './errors';

/** A request body, as the edge hands it over. */
export type Input = Readonly<Record<string, unknown>>;

/** A string parameter SQS requires: absent or empty is MissingParameter. */
export function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw missingParameter(name);
  if (typeof value !== 'string') throw invalidParameter(name, value, 'Must be a string.');
  return value;
}

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(name, value, 'Must be a string.');
  return value;
}

/** An integer parameter within `[min, max]`, worded as SQS words the range error. */
export function optionalInt(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(name, value, `Must be between ${min} and ${max}, if provided.`);
  }
  return value;
}

/** A list of strings; absent is empty. */
export function stringList(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw invalidParameter(name, JSON.stringify(value), 'Must be a list of strings.');
  }
  return value;
}

/** A list of objects (batch entries); absent is empty. */
export function objectList(input: Input, name: string): Input[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is Input => typeof v === 'object' && v !== null)) {
    throw invalidParameter(name, '', 'Must be a list of entries.');
  }
  return value;
}
