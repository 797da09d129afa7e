import * as z from 'zod/mini';
import type { GitPerson } from '../../../events';
import type { HttpResponse } from '../../status/http';
import { HistoryError, type PageRequest } from '../types';

/** Commits per page: the most every provider's API allows but Bitbucket Cloud (100) and Azure DevOps (no cap). */
export const PAGE_SIZE = 100;

export const optional = z.nullish(z.string());

/** The answer's JSON read through `schema`; an answer of another shape is a `HistoryError`, not a range. */
export function answerOf<T>(response: HttpResponse, schema: z.ZodMiniType<T>, what: string): T {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new HistoryError(`${what} answered HTTP ${response.status} with something that is not JSON`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new HistoryError(
      `${what} answered in a shape Gantry does not know (${parsed.error.issues[0]?.path.join('.') ?? 'root'})`,
    );
  return parsed.data;
}

/** A git person; a blank field is null and a username is kept only when the provider gave one. */
export function gitPerson(
  name: string | null | undefined,
  email: string | null | undefined,
  username?: string | null,
): GitPerson {
  const person: GitPerson = { name: name?.trim() || null, email: email?.trim() || null };
  return username?.trim() ? { ...person, username: username.trim() } : person;
}

/** The same request with `name` set to `value` in its query. */
export function withParam(page: PageRequest, name: string, value: string | number): PageRequest {
  const url = new URL(page.url);
  url.searchParams.set(name, String(value));
  return { ...page, url: url.toString() };
}

/** The current value of a numeric query parameter of a request (`fallback` when absent). */
export function paramOf(page: PageRequest, name: string, fallback: number): number {
  const value = Number(new URL(page.url).searchParams.get(name) ?? fallback);
  return Number.isSafeInteger(value) && value >= 0 ? value : fallback;
}

/**
 * A next-page link the provider gave, as a request with the same credentials, only when it stays
 * on the API's own origin and path: the token never follows a link to another host.
 */
export function followLink(page: PageRequest, link: string, apiUrl: string): PageRequest {
  let next: URL;
  try {
    next = new URL(link, page.url);
  } catch {
    throw new HistoryError('the provider gave a next-page link that is not a URL');
  }
  const api = new URL(apiUrl);
  if (next.origin !== api.origin || !next.pathname.startsWith(api.pathname.replace(/\/?$/, '/')))
    throw new HistoryError(
      `the provider gave a next-page link outside ${api.origin}${api.pathname}; it was not followed`,
    );
  return { ...page, url: next.toString() };
}
