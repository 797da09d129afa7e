import { ReportParseError } from '../errors';
import { assertReportSize, inputText, type ReportInput } from '../input';
import type { CoverageReport } from '../reports';
import { LineTally } from './tally';

interface LcovRecord {
  readonly path: string;
  readonly startLine: number;
  sawLines: boolean;
  found: number | null;
  hit: number | null;
}

/**
 * Reads an LCOV tracefile (`lcov.info`): per record, its `DA:` lines, or its `LF:`/`LH:` totals
 * when a tool wrote no lines. Other record types (functions, branches) are ignored. A record
 * that never reaches `end_of_record` means the file was cut short, and is an error.
 */
export function parseLcov(input: ReportInput, file: string): CoverageReport {
  assertReportSize(input, file, 'coverage');
  const tally = new LineTally();
  let record: LcovRecord | null = null;
  const lines = inputText(input).split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const fail = (detail: string) => new ReportParseError(file, 'coverage', `line ${index + 1}: ${detail}`);
    if (line.startsWith('SF:')) {
      if (record !== null) throw fail(`SF: before the end_of_record of ${record.path}`);
      record = { path: line.slice(3), startLine: index + 1, sawLines: false, found: null, hit: null };
    } else if (line === 'end_of_record') {
      if (record === null) throw fail('end_of_record outside a record');
      finish(tally, record);
      record = null;
    } else if (record !== null) readField(record, line, tally, fail);
  }
  if (record !== null)
    throw new ReportParseError(
      file,
      'coverage',
      `truncated: the record for ${record.path} (line ${record.startLine}) never ends`,
    );
  return tally.report(file, 'lcov');
}

function readField(record: LcovRecord, line: string, tally: LineTally, fail: (detail: string) => Error): void {
  if (line.startsWith('DA:')) {
    const [number = '', hits = ''] = line.slice(3).split(',');
    if (!isCount(number) || !isCount(hits, true)) throw fail(`malformed DA: "${line.slice(0, 60)}"`);
    tally.line(record.path, Number(number), Number(hits) > 0);
    record.sawLines = true;
  } else if (line.startsWith('LF:')) record.found = count(line, fail);
  else if (line.startsWith('LH:')) record.hit = count(line, fail);
}

function finish(tally: LineTally, record: LcovRecord): void {
  if (!record.sawLines && record.found !== null) tally.totals(record.path, record.hit ?? 0, record.found);
  else tally.file(record.path);
}

/** A line count; hit counts may be negative in some gcov output, which counts as not run. */
function isCount(value: string, signed = false): boolean {
  return (signed ? /^-?\d+$/ : /^\d+$/).test(value.trim());
}

function count(line: string, fail: (detail: string) => Error): number {
  const value = line.slice(3);
  if (!isCount(value)) throw fail(`malformed ${line.slice(0, 3)} "${value.slice(0, 40)}"`);
  return Number(value);
}
