import type { Fail } from './fail';

/**
 * Compiles an EventBridge wildcard filter: `*` matches any run of characters (none included),
 * `\*` is a literal star and `\\` a literal backslash; any other escape, and two stars in a row,
 * are rejected as EventBridge rejects them. Matching is linear: the literal parts between stars
 * are found left to right, which is exact for a pattern whose only metacharacter is `*`.
 */
export function compileWildcard(pattern: string, fail: Fail): (value: string) => boolean {
  const parts = literalParts(pattern, fail);
  const first = parts[0] ?? '';
  if (parts.length === 1) return (value) => value === first;
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1);
  return (value) => {
    if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
    const end = value.length - last.length;
    let from = first.length;
    for (const part of middle) {
      const at = value.indexOf(part, from);
      if (at < 0 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}

function literalParts(pattern: string, fail: Fail): string[] {
  const parts: string[] = [];
  let current = '';
  for (let pos = 0; pos < pattern.length; pos++) {
    const char = pattern.charAt(pos);
    if (char === '\\') {
      const escaped = pattern.charAt(pos + 1);
      if (escaped !== '*' && escaped !== '\\') fail(`Invalid escape character at pos ${pos}`);
      current += escaped;
      pos++;
    } else if (char === '*') {
      if (pattern.charAt(pos + 1) === '*') fail(`Consecutive wildcard characters at pos ${pos}`);
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}
