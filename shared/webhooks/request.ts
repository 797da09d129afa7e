import type { Provider } from '../../events';

/** Header names are lower-cased once, at the edge, so every lookup is case-insensitive. */
export type Headers = Readonly<Record<string, string>>;

/** One webhook delivery as it arrived: the raw bytes are what providers sign. */
export interface WebhookRequest {
  readonly provider: Provider;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** Lower-cases header names; of repeated headers the first value wins. */
export function normalizeHeaders(raw: Readonly<Record<string, string | readonly string[] | undefined>>): Headers {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const first = Array.isArray(value) ? value[0] : value;
    const key = name.toLowerCase();
    if (typeof first === 'string' && !(key in headers)) headers[key] = first;
  }
  return headers;
}

/** The first non-empty header among `names` (already lower-case). */
export function header(headers: Headers, ...names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

export type BodyFormat = 'json' | 'form';

/** The media type of a Content-Type header without parameters, lower-cased. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** Which body format a media type carries, or undefined when Gantry does not read it. */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  const type = mediaType(contentType);
  if (type === 'application/json' || (type?.startsWith('application/') && type.endsWith('+json'))) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}
