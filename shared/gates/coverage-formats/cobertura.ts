import type { ReportInput } from '../input';
import type { CoverageReport } from '../reports';
import { checkRoot, intAttribute, visitXml } from '../xml';
import { LineTally, totalsOnly } from './tally';

/**
 * Reads Cobertura XML as istanbul (Jest, c8), coverage.py and Cobertura itself write it. Only a
 * class's own `<lines>` count: the same lines repeated under `<methods>` would count twice. A
 * report that lists no lines at all falls back to the root's `lines-valid`/`lines-covered`.
 */
export function parseCobertura(input: ReportInput, file: string): CoverageReport {
  const tally = new LineTally();
  const root = { covered: 0, total: 0 };
  let className: string | null = null;

  visitXml(input, file, 'coverage', {
    open(element, depth, path) {
      const name = path[depth - 1];
      if (depth === 1) checkRoot(file, 'coverage', name, ['coverage'], 'a Cobertura report');
      if (depth === 1) {
        root.covered = intAttribute(element, 'lines-covered') ?? 0;
        root.total = intAttribute(element, 'lines-valid') ?? 0;
      } else if (name === 'class') {
        className = element.attributes.filename ?? element.attributes.name ?? '';
        tally.file(className);
      } else if (name === 'line' && className !== null && path[depth - 2] === 'lines' && path[depth - 3] === 'class') {
        const line = intAttribute(element, 'number');
        if (line !== undefined) tally.line(className, line, (intAttribute(element, 'hits') ?? 0) > 0);
      }
    },
  });
  if (tally.size === 0) return totalsOnly(file, 'cobertura', root.covered, root.total);
  return tally.report(file, 'cobertura');
}
