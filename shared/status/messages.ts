/** A reason is one short line: enough to tell a bad token from a missing repository. */
export const MAX_REASON_LENGTH = 200;

function field(value: unknown, key: string | number): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return (value as Record<string | number, unknown>)[key];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** GitLab's `{"message": {"target_url": ["is blocked"]}}` and Bitbucket's `fields`: the first field's first complaint. */
function firstFieldMessage(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const [name, complaints] = Object.entries(value)[0] ?? [];
  const complaint = Array.isArray(complaints) ? text(complaints[0]) : text(complaints);
  return name === undefined || complaint === undefined ? undefined : `${name} ${complaint}`;
}

/** The headline of the error shapes providers use: `message` (GitHub, GitLab, Gitea, Azure), `error` (GitLab), `error.message` (Bitbucket Cloud). */
function headline(body: unknown): string | undefined {
  const message = field(body, 'message');
  const error = field(body, 'error');
  return text(message) ?? firstFieldMessage(message) ?? text(error) ?? text(field(error, 'message'));
}

/** The first detail: GitHub's and Bitbucket Data Center's `errors[0].message`. */
function detail(body: unknown): string | undefined {
  return text(field(field(field(body, 'errors'), 0), 'message'));
}

/** What a provider's error body says, in one line, or undefined when it is not one of the known JSON shapes. */
export function providerMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const main = headline(parsed);
  const more = detail(parsed);
  if (main !== undefined && more !== undefined && main !== more) return `${main}: ${more}`;
  return main ?? more;
}

/**
 * The forms a token travels or is echoed in: as is, percent-encoded, and base64 alone or as
 * Basic credentials with an empty user (Azure DevOps), so none of them survives in a reason.
 */
export function tokenForms(token: string): string[] {
  if (token === '') return [];
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return [token, encodeURIComponent(token), base64(token), base64(`:${token}`)];
}

/** Replaces every occurrence of each secret (longest first), then flattens and bounds the text. */
export function safeReason(reason: string, secrets: readonly string[]): string {
  let safe = reason;
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of longestFirst) if (secret !== '') safe = safe.split(secret).join('***');
  safe = safe.replace(/\s+/g, ' ').trim();
  return safe.length <= MAX_REASON_LENGTH ? safe : `${safe.slice(0, MAX_REASON_LENGTH - 1)}…`;
}
