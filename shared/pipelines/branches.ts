import * as z from 'zod/mini';

/** One or more branch (or tag) globs; `*` matches any run of characters, `/` included. */
export const BranchPatternsSchema = z.pipe(
  z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))]),
  z.transform((value) => (typeof value === 'string' ? [value] : value)),
);
export type BranchPatterns = z.infer<typeof BranchPatternsSchema>;

/**
 * True when `name` matches `glob`. The semantics are EventBridge's `wildcard` operator (so a
 * rule's pattern and ResolvePlan agree on every branch): `*` matches anything, `\*` a literal star.
 */
export function globMatches(glob: string, name: string): boolean {
  const parts = splitGlob(glob);
  if (parts.length === 1) return parts[0] === name;
  const [first = '', ...rest] = parts;
  const last = rest.pop() ?? '';
  if (!name.startsWith(first) || !name.endsWith(last) || name.length < first.length + last.length) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const middle of rest) {
    const found = name.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** True when `name` matches one of `include` and none of `exclude`. */
export function branchSelected(name: string, include: readonly string[], exclude: readonly string[] = []): boolean {
  return include.some((g) => globMatches(g, name)) && !exclude.some((g) => globMatches(g, name));
}

/**
 * The EventBridge pattern values matching any of `globs`: exact strings where there is no `*`,
 * `prefix` for `name/*`-style globs, `wildcard` otherwise.
 */
export function eventPatternFor(globs: readonly string[]): (string | Record<string, string>)[] {
  return globs.map((glob): string | Record<string, string> => {
    const split = splitGlob(glob);
    // An empty piece between two stars comes from `**`, which means what `*` means.
    const parts = split.filter((part, i) => part !== '' || i === 0 || i === split.length - 1);
    if (parts.length === 1) return parts[0] ?? glob;
    if (parts.length === 2 && parts[1] === '') return { prefix: parts[0] ?? '' };
    // Literal stars are escaped again; consecutive wildcards, which EventBridge refuses, are gone.
    return { wildcard: parts.map((p) => p.replaceAll('*', '\\*')).join('*') };
  });
}

/** The literal pieces between unescaped stars. */
function splitGlob(glob: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '\\' && glob.charAt(i + 1) === '*') {
      current += '*';
      i++;
    } else if (c === '*') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}
