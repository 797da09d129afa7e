import type { Fail } from './fail';
import type { JsonScalar, JsonValue } from './json';

// EventBridge (event-ruler's ComparableNumber) compares numbers in [-5e9, 5e9] to six decimal places.
const LIMIT = 5e9;
const SCALE = 1e6;
const MAX_DECIMALS = 6;

/** `value` as an integer count of millionths, or undefined when EventBridge cannot compare it as a number. */
export function comparable(value: number): number | undefined {
  if (Number.isInteger(value)) return Math.abs(value) > LIMIT ? undefined : value * SCALE;
  if (!Number.isFinite(value) || Math.abs(value) > LIMIT || decimalPlaces(value) > MAX_DECIMALS) return undefined;
  return Math.round(value * SCALE);
}

function decimalPlaces(value: number): number {
  const match = /^\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(value)));
  if (match === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/** The comparable form of a number written in a pattern; rejects what EventBridge rejects. */
export function patternNumber(value: JsonValue | undefined, what: string, fail: Fail): number {
  if (typeof value !== 'number') return fail(`Value of ${what} must be numeric`);
  if (Math.abs(value) > LIMIT) return fail('Value must be between -5.0E9 and 5.0E9, inclusive');
  const scaled = comparable(value);
  return scaled ?? fail('Only values upto 6 decimals are supported');
}

interface Bound {
  readonly at: number;
  readonly inclusive: boolean;
}

/**
 * Compiles the array of a `{"numeric": [...]}` expression: `["=", x]`, `[">" | ">=", x]`,
 * `["<" | "<=", x]` or a range `[">" | ">=", x, "<" | "<=", y]`, lower bound first, as EventBridge requires.
 */
export function compileNumeric(expression: JsonValue, fail: Fail): (value: JsonScalar) => boolean {
  if (!Array.isArray(expression)) return fail('Value of numeric must be an array.');
  const [operator, first, second, top, ...rest] = expression;
  if (typeof operator !== 'string') return fail(`Invalid member in numeric match: ${describe(operator)}`);
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  if (operator === '=') {
    const at = patternNumber(first, 'equals', fail);
    if (second !== undefined) return fail('Too many elements in numeric expression');
    lower = { at, inclusive: true };
    upper = lower;
  } else if (operator === '<' || operator === '<=') {
    upper = { at: patternNumber(first, operator, fail), inclusive: operator === '<=' };
    if (second !== undefined) return fail('Too many elements in numeric expression');
  } else if (operator === '>' || operator === '>=') {
    lower = { at: patternNumber(first, operator, fail), inclusive: operator === '>=' };
    if (second !== undefined) upper = upperBound(second, top, rest.length > 0, fail);
    if (upper !== undefined && upper.at <= lower.at) return fail('Bottom must be less than top');
  } else {
    return fail(`Unrecognized numeric range operator: ${operator}`);
  }
  return (value) => typeof value === 'number' && within(comparable(value), lower, upper);
}

function upperBound(operator: JsonValue, at: JsonValue | undefined, tooMany: boolean, fail: Fail): Bound {
  if (typeof operator !== 'string') return fail(`Bad value in numeric range: ${describe(operator)}`);
  if (operator !== '<' && operator !== '<=') return fail(`Bad numeric range operator: ${operator}`);
  const bound = { at: patternNumber(at, operator, fail), inclusive: operator === '<=' };
  return tooMany ? fail('Too many terms in numeric range expression') : bound;
}

function within(value: number | undefined, lower: Bound | undefined, upper: Bound | undefined): boolean {
  if (value === undefined) return false;
  if (lower !== undefined && (lower.inclusive ? value < lower.at : value <= lower.at)) return false;
  return upper === undefined || (upper.inclusive ? value <= upper.at : value < upper.at);
}

function describe(value: JsonValue | undefined): string {
  return value === undefined ? ']' : JSON.stringify(value);
}
