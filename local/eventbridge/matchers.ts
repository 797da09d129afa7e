import { compileCidr } from './cidr';
import { childPath, type Fail, failAt } from './fail';
import { isJsonObject, type JsonObject, type JsonScalar, type JsonValue } from './json';
import { comparable, compileNumeric, patternNumber } from './numeric';
import { compileWildcard } from './wildcard';

/**
 * One entry of a field's value list. `exists` looks at whether the field has any leaf value;
 * `value` tests one leaf value, and the field matches when any of its leaf values passes.
 */
export type Matcher =
  | { readonly kind: 'exists'; readonly present: boolean }
  | { readonly kind: 'value'; readonly test: (value: JsonScalar) => boolean };

type Test = (value: JsonScalar) => boolean;

/** Compiles a field's non-empty value list (`"state": ["a", {"prefix": "b"}]`); the entries are ORed. */
export function compileMatchers(values: readonly JsonValue[], path: string): Matcher[] {
  return values.map((value, index) => {
    const at = childPath(path, index);
    if (isJsonObject(value)) return compileExpression(value, at);
    if (Array.isArray(value) || (typeof value === 'number' && !Number.isFinite(value))) {
      return failAt(at)('Match value must be String, number, true, false, or null');
    }
    return { kind: 'value', test: typeof value === 'number' ? numberEquals(value) : (event) => event === value };
  });
}

function numberEquals(expected: number): Test {
  const scaled = comparable(expected);
  return (value) =>
    typeof value === 'number' && (value === expected || (scaled !== undefined && comparable(value) === scaled));
}

function compileExpression(expression: JsonObject, path: string): Matcher {
  const [operator, ...others] = Object.keys(expression);
  if (operator === undefined) return failAt(path)('Match expression name not found');
  const fail = failAt(childPath(path, operator));
  if (others.length > 0) return fail('Only one key allowed in match expression');
  const argument = expression[operator] ?? null;
  if (operator === 'exists') {
    if (typeof argument !== 'boolean') return fail('exists match pattern must be either true or false.');
    return { kind: 'exists', present: argument };
  }
  return { kind: 'value', test: compileTest(operator, argument, fail) };
}

function compileTest(operator: string, argument: JsonValue, fail: Fail): Test {
  switch (operator) {
    case 'prefix':
      return affix(argument, 'prefix', fail);
    case 'suffix':
      return affix(argument, 'suffix', fail);
    case 'equals-ignore-case':
      if (typeof argument !== 'string') return fail('equals-ignore-case match pattern must be a string');
      return stringTest(ignoringCase(argument, 'equals'));
    case 'wildcard':
      if (typeof argument !== 'string') return fail('wildcard match pattern must be a string');
      return stringTest(compileWildcard(argument, fail));
    case 'numeric':
      return compileNumeric(argument, fail);
    case 'cidr':
      return compileCidr(argument, fail);
    case 'anything-but':
      return anythingBut(argument, fail);
    default:
      return fail(`Unrecognized match type ${operator}`);
  }
}

type Affix = 'prefix' | 'suffix' | 'equals';

/** `{"prefix": "x"}` or `{"prefix": {"equals-ignore-case": "x"}}`, and the same for suffix. */
function affix(argument: JsonValue, kind: 'prefix' | 'suffix', fail: Fail): Test {
  if (typeof argument === 'string') return stringTest(caseSensitive(argument, kind));
  const [operator, ...others] = isJsonObject(argument) ? Object.keys(argument) : [];
  const text = isJsonObject(argument) ? argument['equals-ignore-case'] : undefined;
  if (operator !== 'equals-ignore-case' || others.length > 0 || typeof text !== 'string') {
    return fail(`${kind} match pattern must be a string`);
  }
  return stringTest(ignoringCase(text, kind));
}

function caseSensitive(text: string, kind: Affix): (value: string) => boolean {
  if (kind === 'prefix') return (value) => value.startsWith(text);
  if (kind === 'suffix') return (value) => value.endsWith(text);
  return (value) => value === text;
}

// Compares both case foldings so that, as in event-ruler, 'ß' and 'SS' count as the same letters.
function ignoringCase(text: string, kind: Affix): (value: string) => boolean {
  const lower = caseSensitive(text.toLowerCase(), kind);
  const upper = caseSensitive(text.toUpperCase(), kind);
  return (value) => lower(value.toLowerCase()) || upper(value.toUpperCase());
}

function stringTest(test: (value: string) => boolean): Test {
  return (value) => typeof value === 'string' && test(value);
}

/**
 * `anything-but` matches any leaf value, of any type, that the excluded values do not match:
 * `{"anything-but": "x"}` matches 12 and null. A missing field has no value, so it never matches.
 */
function anythingBut(argument: JsonValue, fail: Fail): Test {
  if (isJsonObject(argument)) return anythingButExpression(argument, fail);
  if (typeof argument === 'string') return excludingStrings([argument]);
  if (typeof argument === 'number') return excludingNumbers([argument], fail);
  if (!Array.isArray(argument)) {
    return fail('Value of anything-but must be an array or single string/number value.');
  }
  if (argument.some((value) => typeof value !== 'string' && typeof value !== 'number')) {
    return fail('Inside anything but list, start|null|boolean is not supported.');
  }
  if (argument.length > 0 && argument.every(isString)) return excludingStrings(argument);
  if (argument.length > 0 && argument.every(isNumber)) return excludingNumbers(argument, fail);
  return fail('Inside anything but list, either all values are number or string, mixed type is not supported');
}

function isString(value: JsonValue): value is string {
  return typeof value === 'string';
}

function isNumber(value: JsonValue): value is number {
  return typeof value === 'number';
}

function excludingStrings(excluded: readonly string[]): Test {
  const set = new Set(excluded);
  return (value) => typeof value !== 'string' || !set.has(value);
}

function excludingNumbers(excluded: readonly number[], fail: Fail): Test {
  const set = new Set(excluded.map((value) => patternNumber(value, 'anything-but', fail)));
  return (value) => typeof value !== 'number' || !set.has(comparable(value) ?? Number.NaN);
}

function anythingButExpression(expression: JsonObject, fail: Fail): Test {
  const [operator, ...others] = Object.keys(expression);
  if (operator === undefined) return fail('Anything-But expression name not found');
  if (others.length > 0) return fail('Only one key allowed in match expression');
  const argument = expression[operator] ?? null;
  const list = typeof argument === 'string' ? [argument] : Array.isArray(argument) ? argument : [];
  const texts = list.every(isString) ? list : undefined;
  let tests: Array<(value: string) => boolean>;
  if (operator === 'prefix' || operator === 'suffix') {
    if (isJsonObject(argument)) return fail('Value of anything-but must be an array or single string/number value.');
    if (texts === undefined || texts.length === 0) return fail('prefix/suffix match pattern must be a string');
    if (texts.includes('')) return fail('Null prefix/suffix not allowed');
    tests = texts.map((text) => caseSensitive(text, operator));
  } else if (operator === 'wildcard') {
    if (texts === undefined || texts.length === 0) return fail('wildcard match pattern must be a string');
    tests = texts.map((text) => compileWildcard(text, fail));
  } else if (operator === 'equals-ignore-case') {
    if (texts === undefined || texts.length === 0) {
      return fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
    }
    tests = texts.map((text) => ignoringCase(text, 'equals'));
  } else {
    return fail(`Unsupported anything-but pattern: ${operator}`);
  }
  return (value) => typeof value !== 'string' || !tests.some((test) => test(value));
}
