import fc from 'fast-check';
import type * as z from 'zod/mini';

/** The parts of a zod/mini definition the arbitraries below read. */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodMiniType>;
  readonly innerType?: z.ZodMiniType;
  readonly element?: z.ZodMiniType;
  readonly keyType?: z.ZodMiniType;
  readonly valueType?: z.ZodMiniType;
  readonly in?: z.ZodMiniType;
  readonly entries?: Record<string, string>;
  readonly values?: readonly unknown[];
  readonly format?: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
}

interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly value?: number;
  readonly inclusive?: boolean;
}

const defOf = (schema: z.ZodMiniType): Def => schema._zod.def as unknown as Def;
const inner = (schema: z.ZodMiniType | undefined): z.ZodMiniType => {
  if (schema === undefined) throw new Error('a wrapper schema without its inner schema');
  return schema;
};

/**
 * Values `schema` accepts, mostly, for the zod/mini types Gantry's schemas use (a pipe's values are
 * its input's). Throws for any other type, so a schema that grows one is not fuzzed with less.
 */
export function arbitraryOf(schema: z.ZodMiniType): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return objectOf(def.shape ?? {});
    case 'string':
      return stringOf(def);
    case 'number':
      return numberOf(def);
    case 'boolean':
      return fc.boolean();
    case 'unknown':
      return fc.jsonValue({ maxDepth: 2 });
    case 'nullable':
      return fc.option(arbitraryOf(inner(def.innerType)), { nil: null });
    case 'optional':
    case 'default':
      return fc.option(arbitraryOf(inner(def.innerType)), { nil: undefined });
    case 'array':
      return fc.array(arbitraryOf(inner(def.element)), { maxLength: 4 });
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? {}));
    case 'literal':
      return fc.constantFrom(...(def.values ?? []));
    case 'record':
      return fc.dictionary(arbitraryOf(inner(def.keyType)) as fc.Arbitrary<string>, arbitraryOf(inner(def.valueType)), {
        maxKeys: 4,
      });
    case 'pipe':
      return arbitraryOf(inner(def.in));
    default:
      throw new Error(`no arbitrary for zod type ${def.type}`);
  }
}

function objectOf(shape: Record<string, z.ZodMiniType>): fc.Arbitrary<unknown> {
  const keys = Object.keys(shape);
  const requiredKeys = keys.filter((k) => !['optional', 'default'].includes(defOf(inner(shape[k])).type));
  return fc.record(Object.fromEntries(keys.map((k) => [k, arbitraryOf(inner(shape[k]))])), { requiredKeys });
}

function checksOf(def: Def): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def);
}

function stringOf(def: Def): fc.Arbitrary<string> {
  if (def.format === 'datetime') {
    const iso = fc
      .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
    // Other precisions and zones: valid for some datetime schemas, not others.
    return fc.oneof(
      { arbitrary: iso, weight: 4 },
      iso.map((s) => s.replace(/\.\d{3}Z$/, 'Z')),
      iso.map((s) => s.replace(/Z$/, '456Z')),
      iso.map((s) => s.replace(/Z$/, '+01:00')),
    );
  }
  let minLength = 0;
  let maxLength = 24;
  for (const c of checksOf(def)) {
    if (c.check === 'min_length') minLength = c.minimum ?? 0;
    if (c.check === 'max_length') maxLength = c.maximum ?? maxLength;
    if (c.check === 'length_equals') minLength = maxLength = c.length ?? 0;
  }
  maxLength = Math.max(minLength, Math.min(maxLength, minLength + 24));
  return fc.oneof(fc.string({ minLength, maxLength }), fc.string({ unit: 'binary', minLength, maxLength }));
}

function numberOf(def: Def): fc.Arbitrary<number> {
  const checks = checksOf(def);
  const int = checks.some((c) => c.check === 'number_format');
  const above = checks.find((c) => c.check === 'greater_than');
  const min = above === undefined ? undefined : (above.value ?? 0) + (above.inclusive ? 0 : 1);
  if (int)
    return fc.oneof(
      fc.integer({ min: min ?? -(2 ** 31) }),
      fc.maxSafeInteger().filter((n) => n >= (min ?? -Infinity)),
    );
  return fc.double({ noNaN: true, noDefaultInfinity: true, ...(min === undefined ? {} : { min }) });
}

/** Keys that catch out code which builds objects by assignment, or reads inherited properties. */
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'then',
  '0',
  '',
];

/** Values no schema should take lightly: wrong types, edge numbers, huge text, prototypes, boxed and exotic objects. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    1.5,
    2 ** 53,
    -1,
    '',
    'x'.repeat(200_000),
    '2026-12-07T14:00:00Z',
    '2026-12-07T14:00:00.1234567Z',
    '2026-13-40T25:61:61Z',
    [],
    {},
    JSON.parse('{"__proto__":{"polluted":true}}'),
    Object.create(null),
    Object.create({ inherited: 'value' }),
  ),
  fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withUnicodeString: true,
  }),
);

const mutation = fc.record({
  at: fc.nat(),
  key: fc.nat(),
  op: fc.constantFrom('replace', 'delete', 'add', 'reorder'),
  name: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string(), fc.constant('k'.repeat(10_000))),
  junk,
});
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** `base`'s values with one to four changes each, anywhere in them: a value replaced, a key dropped, added or moved. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([value, changes]) => {
    let out = copy(value);
    for (const change of changes) out = mutate(out, change);
    return out;
  });
}

function mutate(value: unknown, change: Mutation): unknown {
  const nodes = containersIn(value);
  const node = nodes[change.at % Math.max(nodes.length, 1)];
  // Copied: the junk constants are shared between runs, and a later change must not reach them.
  const junk = copy(change.junk);
  if (node === undefined) return change.op === 'replace' ? junk : value;
  const keys = Object.keys(node);
  const key = keys[change.key % Math.max(keys.length, 1)];
  try {
    if (change.op === 'add') define(node, change.name, junk);
    else if (key === undefined) return value;
    else if (change.op === 'replace') define(node, key, junk);
    else if (change.op === 'delete') delete node[key];
    else for (const k of keys.filter((k) => k !== key)) define(node, k, take(node, k));
  } catch {
    // An array's length takes no junk: that change is skipped.
  }
  return value;
}

function take(node: Record<string, unknown>, key: string): unknown {
  const value = node[key];
  delete node[key];
  return value;
}

function define(node: object, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

function isContainer(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

function containersIn(value: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (!isContainer(value)) return found;
  found.push(value);
  for (const k of Object.keys(value)) containersIn(value[k], found);
  return found;
}

/** A deep copy of plain objects and arrays (own `__proto__` keys and null prototypes kept); other values shared. */
export function copy(value: unknown): unknown {
  if (!isContainer(value)) return value;
  const out: Record<string, unknown> = Array.isArray(value) ? [] : Object.create(Object.getPrototypeOf(value));
  for (const k of Object.keys(value)) define(out, k, copy(value[k]));
  return out;
}

/**
 * A value written out with everything a caller could tell apart: key order, keys present with
 * `undefined`, array holes, NaN, -0, prototypes. Equal text, indistinguishable values.
 */
export function described(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  const proto = Object.getPrototypeOf(value);
  const kind = Array.isArray(value)
    ? 'array'
    : proto === null
      ? 'null-prototype'
      : (proto.constructor?.name ?? 'object');
  if (!isContainer(value)) return `${kind}(${String(value)})`;
  const keys = Object.keys(value).map((k) => `${JSON.stringify(k)}:${described(value[k])}`);
  return `${kind}{${keys.join(',')}}${Array.isArray(value) ? `[${value.length}]` : ''}`;
}

/** Where the output reuses an object of the input (`out.a=in.a`): a caller that changes one changes the other. */
export function sharedObjects(input: unknown, output: unknown): string[] {
  const paths = new Map<unknown, string>();
  const walk = (value: unknown, path: string, visit: (value: object, path: string) => void): void => {
    if (typeof value !== 'object' || value === null) return;
    visit(value, path);
    if (isContainer(value)) for (const k of Object.keys(value)) walk(value[k], `${path}.${k}`, visit);
  };
  walk(input, 'in', (v, p) => paths.set(v, paths.get(v) ?? p));
  const shared: string[] = [];
  walk(output, 'out', (v, p) => {
    const from = paths.get(v);
    if (from !== undefined) shared.push(`${p}=${from}`);
  });
  return shared;
}
