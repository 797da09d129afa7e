import type { ReportInput } from '../input';
import type { CoverageReport } from '../reports';
import { checkRoot, intAttribute, visitXml, type XmlElement } from '../xml';
import { LineTally } from './tally';

/**
 * Reads Clover XML as istanbul (Jest, c8) and OpenClover write it: each `<line>` of a `<file>`
 * is an executable line, covered when its `count` is above zero (a branch line without a count,
 * as OpenClover writes them, when either outcome was taken). Istanbul's `falsecount` counts the
 * branches *not* taken, so it must not make a line covered when `count` says zero. Files under
 * `<testproject>` are the tests' own sources and do not count.
 */
export function parseClover(input: ReportInput, file: string): CoverageReport {
  const tally = new LineTally();
  let current: string | null = null;

  visitXml(input, file, 'coverage', {
    open(element, depth, path) {
      const name = path[depth - 1];
      if (depth === 1) checkRoot(file, 'coverage', name, ['coverage'], 'a Clover report');
      if (name === 'file') {
        current = path[1] === 'testproject' ? null : filePath(element);
        if (current !== null) tally.file(current);
      } else if (name === 'line' && current !== null && path[depth - 2] === 'file') {
        const line = intAttribute(element, 'num');
        if (line !== undefined) tally.line(current, line, lineRan(element));
      }
    },
  });
  return tally.report(file, 'clover');
}

function filePath(element: XmlElement): string {
  return element.attributes.path ?? element.attributes.name ?? '';
}

function lineRan(element: XmlElement): boolean {
  const count = intAttribute(element, 'count');
  if (count !== undefined) return count > 0;
  return (intAttribute(element, 'truecount') ?? 0) > 0 || (intAttribute(element, 'falsecount') ?? 0) > 0;
}
