/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON values the ledger hashes: object keys in
 * UTF-16 code-unit order, strings and numbers as ECMAScript's JSON.stringify writes them, no
 * whitespace. Output is byte-identical to the `canonicalize` package (a property test holds it
 * to that); it is written with loops instead of reduce and template strings because verify runs
 * it once per stored event, and it was most of verify's CPU.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new Error(Number.isNaN(value) ? 'NaN is not allowed' : 'Infinity is not allowed');
    return JSON.stringify(value);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const withJson = value as { toJSON?: unknown };
  if (typeof withJson.toJSON === 'function') return canonicalJson((withJson.toJSON as () => unknown).call(value));
  if (Array.isArray(value)) return canonicalArray(value);
  return canonicalObject(value as Record<string, unknown>);
}

function canonicalArray(values: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += canonicalJson(v === undefined || typeof v === 'symbol' ? null : v);
  }
  return `${out}]`;
}

function canonicalObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = object[key];
    if (v === undefined || typeof v === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key);
    out += ':';
    out += canonicalJson(v);
  }
  return `${out}}`;
}
