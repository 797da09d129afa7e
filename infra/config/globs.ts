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
const MAX_STATES = 20_000;

/** Characters git refuses in a branch name; `/` and `.` are checked by position instead. */
const REFUSED = new Set([' ', '~', '^', ':', '?', '*', '[', '\\', '\x7f']);

type Token = string | null; // a character, or null for a star

/** The dead state: the glob can no longer match, whatever follows. */
const DEAD = -1;

/**
 * The shortest branch name git accepts that the query selects, or null when none does (or the
 * question is too large to settle). Git refuses names that start or end with `/`, hold `//` or
 * `..`, end with `.` or have a path component starting with `.`, so globs that only meet on such
 * a name select no common branch.
 */
export function someBranch(query: BranchQuery): string | null {
  const lists = query.all.map((list) => list.map(machineOf));
  const none = query.none.map(machineOf);
  const machines = [...lists.flat(), ...none];
  const listAt = lists.map((list, i) => list.map((_, j) => lists.slice(0, i).flat().length + j));
  const noneAt = none.map((_, i) => lists.flat().length + i);
  const alphabet = alphabetOf(machines.flatMap((m) => [...m.named]));
  const alive = (states: readonly number[]) => listAt.every((list) => list.some((i) => states[i] !== DEAD));
  const matched = (states: readonly number[], i: number) => machines[i]?.accepting(states[i] ?? DEAD) === true;
  const accepts = (walk: Walk) =>
    walk.prev === 'other' &&
    listAt.every((list) => list.some((i) => matched(walk.states, i))) &&
    !noneAt.some((i) => matched(walk.states, i));
  const start: Walk = { prev: 'start', states: machines.map(() => 0), text: '' };
  const seen = new Set([keyOf(start)]);
  for (let queue = [start]; queue.length > 0; ) {
    const next: Walk[] = [];
    for (const walk of queue) {
      for (const c of alphabet) {
        const after = step(walk, c, machines);
        if (after === null || !alive(after.states)) continue;
        if (accepts(after)) return after.text;
        const key = keyOf(after);
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
  /** Per glob, the state of its machine after reading `text`. */
  readonly states: readonly number[];
  readonly text: string;
}

function step(walk: Walk, c: string, machines: readonly Machine[]): Walk | null {
  if (c === '/' && (walk.prev === 'start' || walk.prev === 'slash')) return null;
  if (c === '.' && walk.prev !== 'other') return null;
  const states = machines.map((m, i) => m.next(walk.states[i] ?? DEAD, c));
  return { prev: c === '/' ? 'slash' : c === '.' ? 'dot' : 'other', states, text: walk.text + c };
}

function keyOf(walk: Walk): string {
  return `${walk.prev}|${walk.states.join(',')}`;
}

/**
 * A glob as a deterministic machine built as it is walked: each state is the set of positions the
 * glob may be at, numbered as first met; characters the glob does not name all move alike.
 */
interface Machine {
  readonly named: ReadonlySet<string>;
  next(state: number, c: string): number;
  accepting(state: number): boolean;
}

const machines = new Map<string, Machine>();

function machineOf(glob: string): Machine {
  const known = machines.get(glob);
  if (known) return known;
  const tokens = tokensOf(glob);
  const named = new Set(tokens.filter((t): t is string => t !== null));
  const sets: number[][] = [closure(tokens, [0])];
  const ids = new Map([[sets[0]?.join(',') ?? '', 0]]);
  const moves = new Map<string, number>();
  const machine: Machine = {
    named,
    next(state, c) {
      if (state === DEAD) return DEAD;
      const move = `${state} ${named.has(c) ? c : ''}`;
      const cached = moves.get(move);
      if (cached !== undefined) return cached;
      const moved = (sets[state] ?? []).flatMap((p) => {
        const token = tokens[p];
        if (token === null) return [p];
        return token === c ? [p + 1] : [];
      });
      const set = closure(tokens, moved);
      const key = set.join(',');
      let id = set.length === 0 ? DEAD : ids.get(key);
      if (id === undefined) {
        id = sets.push(set) - 1;
        ids.set(key, id);
      }
      moves.set(move, id);
      return id;
    },
    accepting: (state) => sets[state]?.includes(tokens.length) === true,
  };
  machines.set(glob, machine);
  return machine;
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

/**
 * One character no glob names (what a star stands for, first so examples read `release/x`), then
 * every character a glob names that git allows.
 */
function alphabetOf(characters: readonly string[]): string[] {
  const named = new Set(characters.filter((c) => !REFUSED.has(c) && c >= ' '));
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
