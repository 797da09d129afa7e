import { ReportParseError } from '../errors';
import type { CoverageFormat, CoverageReport, FileCoverage } from '../reports';
import { linePercent } from '../reports';

interface FileLines {
  /** Line number → whether it ran, for formats that list lines. */
  readonly lines: Map<number, boolean>;
  /** Totals given directly, for formats (or records) that only count. */
  covered: number;
  total: number;
}

/**
 * Collects executable lines per source file. A file may appear several times in one report
 * (a Java source with inner classes in Cobertura, a file in two LCOV records): a line counts once
 * and is covered when any appearance ran it.
 */
export class LineTally {
  private readonly files = new Map<string, FileLines>();

  /** Lists a file even if it turns out to have no executable lines (it still is part of the report). */
  file(path: string): void {
    this.entry(path);
  }

  line(path: string, line: number, covered: boolean): void {
    const lines = this.entry(path).lines;
    lines.set(line, covered || (lines.get(line) ?? false));
  }

  totals(path: string, covered: number, total: number): void {
    const entry = this.entry(path);
    entry.covered += covered;
    entry.total += total;
  }

  get size(): number {
    return this.files.size;
  }

  report(file: string, format: CoverageFormat): CoverageReport {
    const files = [...this.files].map(([path, entry]) => fileCoverage(file, path, entry));
    const coveredLines = files.reduce((sum, f) => sum + f.coveredLines, 0);
    const totalLines = files.reduce((sum, f) => sum + f.totalLines, 0);
    return { file, format, coveredLines, totalLines, lineCoverage: linePercent(coveredLines, totalLines), files };
  }

  private entry(path: string): FileLines {
    let entry = this.files.get(path);
    if (entry === undefined) {
      entry = { lines: new Map(), covered: 0, total: 0 };
      this.files.set(path, entry);
    }
    return entry;
  }
}

function fileCoverage(file: string, path: string, entry: FileLines): FileCoverage {
  let covered = entry.covered;
  for (const ran of entry.lines.values()) if (ran) covered += 1;
  const total = entry.total + entry.lines.size;
  checkCounts(file, covered, total, ` for ${path}`);
  return { path, coveredLines: covered, totalLines: total, lineCoverage: linePercent(covered, total) };
}

/** A report for a file that gives only overall totals, with no per-file breakdown. */
export function totalsOnly(file: string, format: CoverageFormat, covered: number, total: number): CoverageReport {
  checkCounts(file, covered, total, '');
  return {
    file,
    format,
    coveredLines: covered,
    totalLines: total,
    lineCoverage: linePercent(covered, total),
    files: [],
  };
}

/**
 * Counts a coverage tool could have written: more lines covered than there are, or a count past
 * what a number holds exactly, is a report made up (or broken), and would lift the gate's figure.
 */
function checkCounts(file: string, covered: number, total: number, where: string): void {
  if (!Number.isSafeInteger(covered) || !Number.isSafeInteger(total) || covered < 0 || total < 0)
    throw new ReportParseError(file, 'coverage', `line counts${where} are not whole numbers a tool writes`);
  if (covered > total)
    throw new ReportParseError(file, 'coverage', `${covered} lines covered${where}, but only ${total} lines to cover`);
}
