import { InvalidEventPatternError } from './errors';

/** Throws the pattern error for `reason`; each compiler is handed one bound to its place in the pattern. */
export type Fail = (reason: string) => never;

/** A {@link Fail} that names `path` as the offending place. */
export function failAt(path: string): Fail {
  return (reason) => {
    throw new InvalidEventPatternError(reason, path);
  };
}

/** `parent.key` (or `key` at the top), as shown in pattern error messages. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}
