import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { type GantryConfig, GantryConfigSchema } from './schema';

/** The config file is invalid; the message lists every problem with file, line and column. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_CONFIG_FILE = 'gantry.config.yaml';

/** Reads and validates `gantry.config.yaml`; throws `ConfigError` saying where each problem is. */
export function loadGantryConfig(path: string = DEFAULT_CONFIG_FILE): GantryConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`${displayPath(path)}: cannot read the file`);
  }
  return parseGantryConfig(text, displayPath(path));
}

/** Validates config text; `source` names it in messages. */
export function parseGantryConfig(text: string, source: string): GantryConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors
        .map((e) => {
          const { line, col } = lines.linePos(e.pos[0]);
          return `${source}:${line}:${col}: ${e.message.split('\n', 1)[0]}`;
        })
        .join('\n'),
    );
  }
  const result = GantryConfigSchema.safeParse(doc.toJS());
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const at = locate(doc, lines, path);
    return `${source}${at}: ${path.length ? path.map(String).join('.') : '(root)'}: ${issue.message}`;
  });
  throw new ConfigError(`invalid Gantry config:\n  ${problems.join('\n  ')}`);
}

/** `:line:col` of the deepest node of `path` that exists in the document. */
function locate(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: readonly (string | number)[]): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return `:${line}:${col}`;
    }
  }
  return '';
}

function displayPath(path: string): string {
  return isAbsolute(path) ? relative(process.cwd(), path) || path : path;
}
