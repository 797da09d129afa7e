import { isJsonObject, type JsonValue, ownValue } from './json';

/** The steps of a compiled JSONPath: object keys and array indexes, from the root. */
export type JsonPath = readonly (string | number)[];

/**
 * Compiles the JSONPath subset EventBridge documents for target input: `$`, `.name` (dot notation,
 * names may contain `-`), `[0]` indexes and, when `quotedKeys` is set (InputPath, not
 * InputPathsMap), `['name']` keys. Returns undefined for anything else, such as `[*]` or `..`.
 */
export function compileJsonPath(text: string, quotedKeys: boolean): JsonPath | undefined {
  const step = quotedKeys ? /^(?:\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/ : /^(?:\.([^.[\]]+)|\[(\d+)\])/;
  if (!text.startsWith('$')) return undefined;
  const steps: (string | number)[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    const match = step.exec(rest);
    if (match === null) return undefined;
    const [whole, name, index, single, double] = match;
    if (name === '*') return undefined;
    steps.push(index === undefined ? (name ?? single ?? double ?? '') : Number(index));
    rest = rest.slice(whole.length);
  }
  return steps;
}

/** The value at `path` in `value`, or undefined when the path leads nowhere. */
export function readJsonPath(value: JsonValue, path: JsonPath): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const step of path) {
    if (typeof step === 'number') current = Array.isArray(current) ? current[step] : undefined;
    else current = isJsonObject(current) ? ownValue(current, step) : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}
