import type { ReportInput } from '../input';
import type { CoverageReport } from '../reports';
import { checkRoot, countAttribute, visitXml, type XmlElement } from '../xml';
import { LineTally, totalsOnly } from './tally';

/**
 * Reads JaCoCo's XML report. Per file, the `LINE` counter of each `<sourcefile>` (a line is
 * covered when at least one of its instructions ran); a report written without source files
 * falls back to the report's own `LINE` counter. Multi-module reports nest packages in `<group>`s. The DOCTYPE JaCoCo writes names `report.dtd`,
 * which is never fetched.
 */
export function parseJaCoCo(input: ReportInput, file: string): CoverageReport {
  const tally = new LineTally();
  const reportTotals = { covered: 0, total: 0 };
  let packageName = '';
  let sourceFile: string | null = null;

  visitXml(input, file, 'coverage', {
    open(element, depth, path) {
      const name = path[depth - 1];
      if (depth === 1) checkRoot(file, 'coverage', name, ['report'], 'a JaCoCo report');
      const parent = path[depth - 2];
      if (name === 'package') packageName = element.attributes.name ?? '';
      else if (name === 'sourcefile' && parent === 'package')
        sourceFile = joinPath(packageName, element.attributes.name ?? '');
      else if (name === 'counter' && element.attributes.type === 'LINE') {
        const counter = lineCounter(element, file);
        if (depth === 2) Object.assign(reportTotals, counter);
        else if (parent === 'sourcefile' && sourceFile !== null)
          tally.totals(sourceFile, counter.covered, counter.total);
      }
    },
  });
  if (tally.size === 0) return totalsOnly(file, 'jacoco', reportTotals.covered, reportTotals.total);
  return tally.report(file, 'jacoco');
}

/** JaCoCo writes both counts on every counter: one missing or malformed would read as lines not missed. */
function lineCounter(element: XmlElement, file: string): { covered: number; total: number } {
  const covered = countAttribute(element, 'covered', file);
  return { covered, total: covered + countAttribute(element, 'missed', file) };
}

function joinPath(packageName: string, name: string): string {
  return packageName === '' ? name : `${packageName}/${name}`;
}
