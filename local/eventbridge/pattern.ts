import { InvalidEventError } from './errors';
import { childPath, failAt } from './fail';
import { isJsonObject, type JsonObject, type JsonScalar, type JsonValue, ownValue } from './json';
import { compileMatchers, type Matcher } from './matchers';

/** A field of a pattern object: a value list at a leaf, or a nested pattern object. */
export type FieldRule =
  | { readonly key: string; readonly kind: 'leaf'; readonly matchers: readonly Matcher[] }
  | { readonly key: string; readonly kind: 'object'; readonly node: PatternNode };

/** A compiled pattern object: every field must match, and one alternative of every `$or`. */
export interface PatternNode {
  readonly fields: readonly FieldRule[];
  readonly alternatives: readonly (readonly PatternNode[])[];
  /** Only `{"exists": false}` below: it must then hold for every element of an array of objects. */
  readonly negativeOnly: boolean;
}

/** A validated event pattern; build it once per rule with {@link compilePattern}, then {@link matches} each event. */
export interface CompiledPattern {
  /** The pattern as given (parsed), for display. */
  readonly source: JsonObject;
  readonly root: PatternNode;
}

// Names event-ruler reserves for operators; they cannot be field names inside a `$or` branch.
const RESERVED_IN_OR = new Set(
  'exactly equals-ignore-case prefix suffix anything-but exists wildcard numeric cidr = < <= > >= regex'.split(' '),
);
const EMPTY: JsonObject = {};
const NO_LEAVES: readonly JsonScalar[] = [];

/**
 * Validates an event pattern once, as PutRule would, and compiles it for {@link matches}.
 * `pattern` is a parsed pattern object or its JSON text (a pattern is never a bare string).
 * @throws InvalidEventPatternError naming the offending path when EventBridge would reject the pattern.
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  const parsed = typeof pattern === 'string' ? parsePatternText(pattern) : pattern;
  if (!isJsonObject(parsed)) return failAt('(root)')('Filter is not an object');
  return { source: parsed, root: compileObject(parsed, '', false) };
}

function parsePatternText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failAt('(root)')(`the pattern is not JSON: ${reason}`);
  }
}

function compileObject(object: JsonObject, path: string, insideOr: boolean): PatternNode {
  const keys = Object.keys(object);
  if (keys.length === 0) failAt(path || '(root)')('Empty objects are not allowed');
  const fields: FieldRule[] = [];
  const alternatives: PatternNode[][] = [];
  for (const key of keys) {
    const value = object[key] ?? null;
    const at = childPath(path, key);
    if (key === '$or') alternatives.push(compileOr(value, at));
    else if (insideOr && RESERVED_IN_OR.has(key)) {
      failAt(at)(`${key} is Ruler reserved fieldName which cannot be used inside $or.`);
    } else if (isJsonObject(value)) fields.push({ key, kind: 'object', node: compileObject(value, at, insideOr) });
    else if (!Array.isArray(value)) failAt(at)(`"${key}" must be an object or an array`);
    else if (value.length === 0) failAt(at)('Empty arrays are not allowed');
    else fields.push({ key, kind: 'leaf', matchers: compileMatchers(value, at) });
  }
  return { fields, alternatives, negativeOnly: isNegativeOnly(fields, alternatives) };
}

function compileOr(value: JsonValue, path: string): PatternNode[] {
  if (!Array.isArray(value)) return failAt(path)('It must be an Array followed with $or.');
  const branches = value.map((branch, index) => {
    const at = childPath(path, index);
    if (!isJsonObject(branch)) return failAt(at)('Only JSON object is allowed in array of $or relationship.');
    return compileObject(branch, at, true);
  });
  if (branches.length < 2) failAt(path)('There must have at least 2 Objects in $or relationship.');
  return branches;
}

function isNegativeOnly(fields: readonly FieldRule[], alternatives: readonly (readonly PatternNode[])[]): boolean {
  const negativeField = (field: FieldRule): boolean =>
    field.kind === 'object'
      ? field.node.negativeOnly
      : field.matchers.every((matcher) => matcher.kind === 'exists' && !matcher.present);
  return fields.every(negativeField) && alternatives.every((branches) => branches.every((node) => node.negativeOnly));
}

/**
 * Whether `event` matches the compiled pattern. Arrays in the event match when any element does;
 * a nested pattern object must match within a single element of an array of objects, as
 * EventBridge's array-consistent matching requires.
 */
export function matches(compiled: CompiledPattern, event: unknown): boolean {
  return isJsonObject(event) && matchNode(compiled.root, event);
}

/**
 * Compiles `pattern` and matches `event` against it; each may be given as JSON text, so the
 * arguments of a TestEventPattern call can be passed straight through. Compiles on every call:
 * a bus evaluating a rule repeatedly should keep the result of {@link compilePattern}.
 * @throws InvalidEventPatternError for an invalid pattern; InvalidEventError for event text that is not JSON.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  const compiled = compilePattern(pattern);
  return matches(compiled, typeof event === 'string' ? parseEventText(event) : event);
}

/** Parses the text of an event. @throws InvalidEventError when it is not JSON. */
export function parseEventText(text: string): JsonValue {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidEventError('the event is not JSON', { cause: error });
  }
}

function matchNode(node: PatternNode, object: JsonObject): boolean {
  for (const field of node.fields) {
    const value = ownValue(object, field.key);
    const matched = field.kind === 'leaf' ? matchLeaf(field.matchers, value) : matchNested(field.node, value);
    if (!matched) return false;
  }
  return node.alternatives.every((branches) => branches.some((branch) => matchNode(branch, object)));
}

function matchNested(node: PatternNode, value: JsonValue | undefined): boolean {
  const objects = objectsIn(value, []);
  if (objects.length === 0) return matchNode(node, EMPTY);
  const matchOne = (object: JsonObject): boolean => matchNode(node, object);
  return node.negativeOnly ? objects.every(matchOne) : objects.some(matchOne);
}

function matchLeaf(matchers: readonly Matcher[], value: JsonValue | undefined): boolean {
  if (value !== undefined && !Array.isArray(value) && !isJsonObject(value)) {
    return matchers.some((matcher) => (matcher.kind === 'exists' ? matcher.present : matcher.test(value)));
  }
  const leaves = Array.isArray(value) ? leavesIn(value, []) : NO_LEAVES;
  return matchers.some((matcher) =>
    matcher.kind === 'exists' ? leaves.length > 0 === matcher.present : leaves.some(matcher.test),
  );
}

// Arrays nested in arrays are flattened, as event-ruler flattens them.
function objectsIn(value: JsonValue | undefined, into: JsonObject[]): JsonObject[] {
  if (isJsonObject(value)) into.push(value);
  else if (Array.isArray(value)) for (const item of value) objectsIn(item, into);
  return into;
}

function leavesIn(values: readonly JsonValue[], into: JsonScalar[]): JsonScalar[] {
  for (const value of values) {
    if (Array.isArray(value)) leavesIn(value, into);
    else if (!isJsonObject(value)) into.push(value);
  }
  return into;
}
