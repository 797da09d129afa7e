import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod/mini';
import { configFilePath } from './file';
import { type ConfigProblem, formatProblem, problemsOf } from './problems';
import { salvage } from './salvage';
import { checkReferences, type GantryConfig, GantryConfigShapeSchema } from './schema';

export { CONFIG_FILE_ENV, configFilePath, DEFAULT_CONFIG_FILE } from './file';
export { type ConfigProblem, formatProblem } from './problems';

/** The config file is unreadable or invalid; the message lists every problem with file, line and column. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** Each problem where it is; empty when the file could not be read at all. */
    readonly problems: readonly ConfigProblem[] = [],
  ) {
    super(message);
  }
}

/** What validating a config found: the config when it is valid, else every problem, in file order. */
export type ConfigValidation =
  | { readonly config: GantryConfig; readonly problems: readonly [] }
  | { readonly config: null; readonly problems: readonly ConfigProblem[] };

/**
 * Reads and validates the config file: `path`, else `GANTRY_CONFIG`, else `gantry.config.yaml`
 * (see `configFilePath`); throws `ConfigError` saying where each problem is.
 */
export function loadGantryConfig(path?: string): GantryConfig {
  const { text, source } = readGantryConfig(configFilePath(path));
  return parseGantryConfig(text, source);
}

/** The text of a config file and how messages name it; `ConfigError` when it cannot be read. */
export function readGantryConfig(path: string): { readonly text: string; readonly source: string } {
  const source = displayPath(path);
  try {
    return { text: readFileSync(path, 'utf8'), source };
  } catch (error) {
    throw new ConfigError(`${source}: cannot read the file (${reasonOf(error)})`);
  }
}

/** Validates config text; `source` names it in messages. */
export function parseGantryConfig(text: string, source: string): GantryConfig {
  const result = validateGantryConfig(text, source);
  if (result.config !== null) return result.config;
  throw new ConfigError(
    `invalid Gantry config:\n  ${result.problems.map(formatProblem).join('\n  ')}`,
    result.problems,
  );
}

/**
 * Every problem of a config at once: YAML syntax; else the shape of each part, and references
 * between the parts that parsed (a pipeline naming an unknown connection is reported even when
 * another pipeline has a misspelt key).
 */
export function validateGantryConfig(text: string, source: string): ConfigValidation {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e): ConfigProblem => {
      const { line, col } = lines.linePos(e.pos[0]);
      return { file: source, line, column: col, path: '', message: e.message.split('\n', 1)[0] ?? e.code };
    });
    return { config: null, problems };
  }
  let raw: unknown;
  try {
    // The yaml library refuses documents whose aliases expand too far (a "billion laughs").
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    return {
      config: null,
      problems: [{ file: source, line: 1, column: 1, path: '', message: `unreadable YAML: ${message}` }],
    };
  }
  const shape = GantryConfigShapeSchema.safeParse(raw);
  const issues = shape.success ? crossIssues(shape.data) : [...shape.error.issues, ...salvagedIssues(raw)];
  if (shape.success && issues.length === 0) return { config: shape.data, problems: [] };
  return { config: null, problems: problemsOf(issues, doc, lines, source) };
}

const References = z.custom<GantryConfig>().check(z.superRefine(checkReferences));

function crossIssues(config: GantryConfig): z.core.$ZodIssue[] {
  const result = References.safeParse(config);
  return result.success ? [] : result.error.issues;
}

/** Cross-reference problems among the parts of a broken config that parse, at their own paths. */
function salvagedIssues(raw: unknown): z.core.$ZodIssue[] {
  const parts = salvage(raw);
  return crossIssues(parts.config).flatMap((issue) => {
    const path = parts.originalPath(issue.path);
    return path === null ? [] : [{ ...issue, path }];
  });
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? 'unknown error';
}

/** An absolute path inside the working folder as a relative one; any other path as given. */
function displayPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(process.cwd(), path);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? path : inside;
}
