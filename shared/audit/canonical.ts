/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON values the ledger hashes: object keys in
 * UTF-16 code-unit order, strings and numbers as ECMAScript's JSON.stringify writes them, no
 * whitespace. Output is byte-identical to the `canonicalize` package (a property test holds it
 * to that). Verify runs it once per stored event, and it was most of verify's CPU: the value is
 * copied with its keys in order and handed to the engine's JSON.stringify once, which writes
 * numbers and strings exactly as JCS asks; a value that copy cannot order (an integer-like key,
 * which engines enumerate first, or `__proto__`) or that is not plain JSON is written key by key.
 */
export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(ordered(value));
  } catch (error) {
    if (error !== UNORDERABLE) throw error;
    return written(value);
  }
}

/** Thrown (never escapes) when `ordered` cannot build a copy that JSON.stringify writes in JCS order. */
const UNORDERABLE = Symbol('unorderable');

function ordered(value: unknown): unknown {
  if (typeof value === 'number') return finite(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (typeof value !== 'object') throw UNORDERABLE;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return ordered((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      out[i] = v === undefined || typeof v === 'symbol' ? null : ordered(v);
    }
    return out;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const first = key.charCodeAt(0);
    // Integer-like keys are enumerated before the others whatever their order; __proto__ is no plain key.
    if ((first >= 48 && first <= 57) || key === '__proto__') throw UNORDERABLE;
    const v = object[key];
    if (v === undefined || typeof v === 'symbol') continue;
    out[key] = ordered(v);
  }
  return out;
}

function finite(value: number): number {
  if (!Number.isFinite(value)) throw new Error(Number.isNaN(value) ? 'NaN is not allowed' : 'Infinity is not allowed');
  return value;
}

/** Key by key, for the values `ordered` cannot copy. */
function written(value: unknown): string {
  if (typeof value === 'number') return JSON.stringify(finite(value));
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const withJson = value as { toJSON?: unknown };
  if (typeof withJson.toJSON === 'function') return written((withJson.toJSON as () => unknown).call(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (i > 0) out += ',';
      out += written(v === undefined || typeof v === 'symbol' ? null : v);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(object).sort()) {
    const v = object[key];
    if (v === undefined || typeof v === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${written(v)}`;
  }
  return `${out}}`;
}
