import type { Document, LineCounter } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type * as z from 'zod/mini';

/** One thing wrong with a config, where it is (1-based line and column). */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the setting (`pipelines.0.source.connection`); empty for YAML syntax. */
  readonly path: string;
  readonly message: string;
}

/** `file:line:column: path: message`, as compilers and editors read it. */
export function formatProblem(problem: ConfigProblem): string {
  const at = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.path === '' ? `${at}: ${problem.message}` : `${at}: ${problem.path}: ${problem.message}`;
}

type Path = readonly (string | number)[];

/**
 * Zod issues as problems placed on the YAML nodes they are about, in file order. An unknown key
 * is placed on the key itself, one problem per key.
 */
export function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  lines: LineCounter,
  file: string,
): ConfigProblem[] {
  const problems = issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) =>
        problem(file, [...path, key], `Unrecognized key: "${key}"`, keyOffset(doc, path, key)),
      );
    }
    return [problem(file, path, issue.message, nodeOffset(doc, path))];
  });
  return problems
    .map(({ offset, ...rest }) => ({ ...rest, ...position(lines, offset) }))
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .map(({ file: f, line, column, path, message }) => ({ file: f, line, column, path, message }));
}

function problem(file: string, path: Path, message: string, offset: number) {
  return { file, path: path.length > 0 ? path.map(String).join('.') : '(root)', message, offset };
}

function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** Where the deepest node of `path` that exists in the document starts (0: the file's start). */
function nodeOffset(doc: Document, path: Path): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return 0;
}

/** Where `key` of the mapping at `path` is written, else where the mapping is. */
function keyOffset(doc: Document, path: Path, key: string): number {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isMap(map)) {
    const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value === key : p.key === key));
    const range = isScalar(pair?.key) ? pair.key.range : undefined;
    if (range) return range[0];
  }
  return nodeOffset(doc, path);
}
