/** A value JSON can carry, as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object (not an array, not null). */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A JSON leaf: what EventBridge compares a pattern's values against. */
export type JsonScalar = string | number | boolean | null;

/** True for a JSON object; false for arrays, null and leaves. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The own property `key` of `object`, never one inherited from `Object.prototype`. */
export function ownValue(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
