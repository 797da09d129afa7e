import type { ReportInput } from '../input';
import type { CoverageReport } from '../reports';
import { checkRoot, countAttribute, intAttribute, visitXml, type XmlElement } from '../xml';
import { LineTally, totalsOnly } from './tally';

/**
 * Reads Cobertura XML as istanbul (Jest, c8), coverage.py and Cobertura itself write it. Only a
 * class's own `<lines>` count: the same lines repeated under `<methods>` would count twice. A
 * report that lists no lines at all falls back to the root's `lines-valid`/`lines-covered`.
 */
export function parseCobertura(input: ReportInput, file: string): CoverageReport {
  const tally = new LineTally();
  let root: XmlElement | undefined;
  let className: string | null = null;

  visitXml(input, file, 'coverage', {
    open(element, depth, path) {
      const name = path[depth - 1];
      if (depth === 1) checkRoot(file, 'coverage', name, ['coverage'], 'a Cobertura report');
      if (depth === 1) root = element;
      else if (name === 'class') {
        className = element.attributes.filename ?? element.attributes.name ?? '';
        tally.file(className);
      } else if (name === 'line' && className !== null && path[depth - 2] === 'lines' && path[depth - 3] === 'class') {
        const line = intAttribute(element, 'number');
        if (line !== undefined) tally.line(className, line, (intAttribute(element, 'hits') ?? 0) > 0);
      }
    },
  });
  if (tally.size === 0) {
    // The totals are all the report says: both must be there, as counts.
    if (root === undefined) return totalsOnly(file, 'cobertura', 0, 0);
    return totalsOnly(
      file,
      'cobertura',
      countAttribute(root, 'lines-covered', file),
      countAttribute(root, 'lines-valid', file),
    );
  }
  return tally.report(file, 'cobertura');
}
