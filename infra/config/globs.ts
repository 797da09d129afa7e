/**
 * Questions about sets of branch globs answered exactly, by walking all of them at once one
 * character at a time. The globs mean what `globMatches` in shared/pipelines/branches.ts makes
 * them mean (EventBridge's `wildcard`): `*` matches any characters, `/` included; `\*` is a star.
 */

/** Branches matching at least one glob of every `all` list and no glob of `none`. */
export interface BranchQuery {
  readonly all: readonly (readonly string[])[];
  readonly none: readonly string[];
}

/** Past this many states a question is left unanswered (null), never guessed. */
const MAX_STATES = 50_000;

/** Characters git refuses in a branch name; `/` and `.` are checked by position instead. */
const REFUSED = new Set([' ', '~', '^', ':', '?', '*', '[', '\\', '\x7f']);

type Token = string | null; // a character, or null for a star

/**
 * The shortest branch name git accepts that the query selects, or null when none does (or the
 * question is too large to settle). Git refuses names that start or end with `/`, hold `//` or
 * `..`, end with `.` or have a path component starting with `.`, so globs that only meet on such
 * a name select no common branch.
 */
export function someBranch(query: BranchQuery): string | null {
  const lists = query.all.map((list) => list.map(tokensOf));
  const none = query.none.map(tokensOf);
  const globs = [...lists.flat(), ...none];
  const alphabet = alphabetOf(globs);
  const start: Walk = { prev: 'start', at: new Map(globs.map((g) => [g, closure(g, [0])])), text: '' };
  const seen = new Set([keyOf(start, globs)]);
  for (let queue = [start]; queue.length > 0; ) {
    const next: Walk[] = [];
    for (const walk of queue) {
      for (const c of alphabet) {
        const after = step(walk, c, globs);
        if (after === null) continue;
        if (accepts(after, lists, none)) return after.text;
        const key = keyOf(after, globs);
        if (seen.has(key)) continue;
        if (seen.size >= MAX_STATES) return null;
        seen.add(key);
        next.push(after);
      }
    }
    queue = next;
  }
  return null;
}

interface Walk {
  /** What the last character was, for git's rules on `/` and `.`. */
  readonly prev: 'start' | 'slash' | 'dot' | 'other';
  /** Per glob, the positions it may be at after reading `text`. */
  readonly at: ReadonlyMap<Token[], readonly number[]>;
  readonly text: string;
}

function step(walk: Walk, c: string, globs: readonly Token[][]): Walk | null {
  if (c === '/' && (walk.prev === 'start' || walk.prev === 'slash')) return null;
  if (c === '.' && walk.prev !== 'other') return null;
  const at = new Map<Token[], readonly number[]>();
  for (const glob of globs) {
    const moved = (walk.at.get(glob) ?? []).flatMap((p) => {
      const token = glob[p];
      if (token === null) return [p];
      return token === c ? [p + 1] : [];
    });
    at.set(glob, closure(glob, moved));
  }
  return { prev: c === '/' ? 'slash' : c === '.' ? 'dot' : 'other', at, text: walk.text + c };
}

function accepts(walk: Walk, lists: readonly Token[][][], none: readonly Token[][]): boolean {
  if (walk.prev !== 'other') return false;
  const matched = (glob: Token[]) => walk.at.get(glob)?.includes(glob.length) === true;
  return lists.every((list) => list.some(matched)) && !none.some(matched);
}

/** The positions plus those a star lets the glob skip to without reading anything. */
function closure(glob: readonly Token[], positions: readonly number[]): number[] {
  const out = new Set<number>();
  for (let p of positions) {
    out.add(p);
    while (glob[p] === null) out.add(++p);
  }
  return [...out].sort((a, b) => a - b);
}

function keyOf(walk: Walk, globs: readonly Token[][]): string {
  return `${walk.prev}|${globs.map((g) => (walk.at.get(g) ?? []).join(',')).join(';')}`;
}

/**
 * One character no glob names (what a star stands for, first so examples read `release/x`), then
 * every character a glob names that git allows.
 */
function alphabetOf(globs: readonly Token[][]): string[] {
  const named = new Set(globs.flat().filter((t): t is string => t !== null && !REFUSED.has(t) && t >= ' '));
  const fresh = [...'xyzqw0123456789abcdefghijklmnoprstuv'].find((c) => !named.has(c));
  return [...(fresh === undefined ? [] : [fresh]), ...[...named].sort()];
}

/** A glob as characters and stars; `**` reads as one star, as it matches the same. */
function tokensOf(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '\\' && glob.charAt(i + 1) === '*') {
      tokens.push('*');
      i++;
    } else if (c !== '*') tokens.push(c);
    else if (tokens.at(-1) !== null) tokens.push(null);
  }
  return tokens;
}
