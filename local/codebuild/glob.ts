import { resolve, sep } from 'node:path';
import { walkFiles } from '../s3/files';
import type { FileSetSpec } from './buildspec';
import { clientError } from './errors';

/** One file a file set selected: where it is, and the name it is handed on under. */
export interface SelectedFile {
  readonly path: string;
  readonly name: string;
}

/**
 * A buildspec path pattern as a regular expression over `/`-separated relative paths, as
 * CodeBuild reads them: a whole `**` segment spans any number of folders (so `**` then `/*`
 * selects every file, and a trailing `**` everything below), `*` and `?` stay within one
 * segment, `[…]` is a character class.
 */
export function globToRegExp(pattern: string): RegExp {
  const segments = pattern.replace(/^\.\//, '').split('/');
  let source = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') source += last ? '.+' : '(?:[^/]+/)*';
    else source += segmentSource(segment) + (last ? '' : '/');
  });
  return new RegExp(`^${source}$`);
}

function segmentSource(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i += 1) {
    const c = segment[i] ?? '';
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        const body = segment
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out;
}

/**
 * The files a file set (artifacts or a report group) selects under `srcDir`, in path order.
 * A base directory outside the source is refused as CodeBuild refuses it.
 */
export async function selectFiles(srcDir: string, set: FileSetSpec): Promise<SelectedFile[]> {
  const base = resolve(srcDir, set.baseDirectory ?? '.');
  if (base !== srcDir && !base.startsWith(srcDir + sep)) {
    throw clientError(`base-directory ${set.baseDirectory ?? ''} is outside the source directory`);
  }
  const include = set.files.map(globToRegExp);
  const exclude = set.excludePaths.map(globToRegExp);
  const files = (await walkFiles(base)).filter(
    (f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f)),
  );
  return files.sort().map((f) => ({
    path: resolve(base, f),
    name: set.discardPaths ? (f.split('/').pop() ?? f) : f,
  }));
}
