import { firstIssue, type SafeParser } from '../../events';
import { PayloadError, WebhookError } from './errors';
import type { BodyFormat } from './request';

/**
 * Parses a delivery body: JSON, or a form body whose `payload` field holds the JSON
 * (GitHub's and Gitea's `application/x-www-form-urlencoded` option).
 */
export function parseBody(body: Buffer, format: BodyFormat): unknown {
  const text = body.toString('utf8');
  const json = format === 'form' ? new URLSearchParams(text).get('payload') : text;
  if (json === null) throw new WebhookError('malformed_body', 'form body has no payload field');
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw new WebhookError('malformed_body', `body is not valid JSON`);
  }
}

/**
 * Reads a payload through a zod schema that names only the fields Gantry uses.
 * A payload that lacks them is the sender's error (400), reported with the first bad path.
 */
export function readPayload<T>(schema: SafeParser<T>, payload: unknown, event: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  throw new PayloadError(`${event} payload is malformed ${firstIssue(result.error.issues)}`, { event });
}

/** The SHA git uses for "no commit" (ref created or deleted). */
export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** null for an absent or all-zero SHA. */
export function shaOrNull(sha: string | null | undefined): string | null {
  if (sha === undefined || sha === null || sha === '' || /^0+$/.test(sha)) return null;
  return sha;
}

export interface RefParts {
  readonly ref: string;
  readonly branch: string | null;
  readonly tag: string | null;
}

/** Splits `refs/heads/x` / `refs/tags/x`; anything else is kept as the ref with neither. */
export function splitRef(ref: string): RefParts {
  if (ref.startsWith('refs/heads/')) return { ref, branch: ref.slice('refs/heads/'.length), tag: null };
  if (ref.startsWith('refs/tags/')) return { ref, branch: null, tag: ref.slice('refs/tags/'.length) };
  return { ref, branch: null, tag: null };
}

/** Strips `refs/heads/` when present (Azure DevOps sends full refs where others send names). */
export function branchName(ref: string | null | undefined): string | null {
  if (ref === undefined || ref === null || ref === '') return null;
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}
