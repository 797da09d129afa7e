import { COMMIT_ID } from '../../events';
import type { FakeCall } from './types';

/** Full SHA-1 or SHA-256, lower- or upper-case hex. */
/** A whole commit id in either case (providers' status APIs take one in capitals too). */
export function fullSha(value: string): boolean {
  return COMMIT_ID.test(value.toLowerCase());
}

/** A parsed JSON object body, read field by field. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** What is wrong with one field, in words close to the provider's. */
export interface Problem {
  readonly field: string;
  readonly code: 'missing' | 'invalid' | 'too_long';
  readonly message: string;
}

/** What a provider requires of one string field. */
export interface FieldRule {
  readonly required?: boolean;
  readonly max?: number;
  readonly allowed?: readonly string[];
  readonly ignoreCase?: boolean;
}

/** A JSON object (not an array, not null): every status API takes one. */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function allowedValue(value: string, rule: FieldRule): boolean {
  if (rule.allowed === undefined) return true;
  const wanted = rule.ignoreCase === true ? value.toLowerCase() : value;
  return rule.allowed.some((a) => (rule.ignoreCase === true ? a.toLowerCase() : a) === wanted);
}

/** Checks one string field (null counts as absent, as the providers treat it). */
export function checkString(body: JsonObject, field: string, rule: FieldRule = {}): Problem | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    return rule.required === true ? { field, code: 'missing', message: `${field} is missing` } : undefined;
  if (typeof value !== 'string') return { field, code: 'invalid', message: `${field} must be a string` };
  if (rule.max !== undefined && value.length > rule.max)
    return { field, code: 'too_long', message: `${field} is too long (maximum is ${rule.max} characters)` };
  if (!allowedValue(value, rule))
    return { field, code: 'invalid', message: `${field} must be one of ${rule.allowed?.join(', ')}` };
  return undefined;
}

/** The problems among `checks`, in field order (providers report them in the order they check). */
export function problemsOf(...checks: readonly (Problem | undefined)[]): Problem[] {
  return checks.filter((p): p is Problem => p !== undefined);
}

/** An optional string field's value ('' and null read as absent). */
export function stringOf(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The decoded captures of `pattern` on the call's raw path, or undefined (no match, wrong method, bad escapes). */
export function matchRoute(pattern: RegExp, call: FakeCall): string[] | undefined {
  if (call.method !== 'POST') return undefined;
  const match = pattern.exec(call.path);
  if (match === null) return undefined;
  try {
    return match.slice(1).map((segment) => decodeURIComponent(segment ?? ''));
  } catch {
    return undefined;
  }
}

/** Header value, or '' when absent. */
export function headerOf(call: FakeCall, name: string): string {
  return call.headers[name] ?? '';
}

/** `Bearer <token>` or Basic `<user>:<password>` with a non-empty password. */
export function hasBearerOrBasic(call: FakeCall): boolean {
  const authorization = headerOf(call, 'authorization');
  if (/^Bearer \S+$/.test(authorization)) return true;
  const basic = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(authorization)?.[1];
  if (basic === undefined) return false;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && decoded.length > colon + 1;
}

/** Whether the request said it sends JSON (every adapter must). */
export function sentJson(call: FakeCall): boolean {
  return /^application\/json\b/i.test(headerOf(call, 'content-type'));
}
