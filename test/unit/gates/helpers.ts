import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoverageReport, FailedTest, Finding, GateReports, SarifReport, TestReport } from '../../../shared/gates';
import { linePercent, securityBucket } from '../../../shared/gates';

/** Reports written by real tools; `test/fixtures/reports/README.md` says how each was made. */
export const REPORTS = join(import.meta.dirname, '..', '..', 'fixtures', 'reports');

/** A fixture report's bytes, exactly as the tool wrote them. */
export function report(...path: string[]): Buffer {
  return readFileSync(join(REPORTS, ...path));
}

export function failedTest(name: string, overrides: Partial<FailedTest> = {}): FailedTest {
  return { suite: null, className: null, name, outcome: 'failure', message: '', file: null, ...overrides };
}

export function testReport(
  counts: { total: number; failed?: number; skipped?: number },
  failures?: FailedTest[],
): TestReport {
  const failed = counts.failed ?? 0;
  return {
    file: 'junit.xml',
    total: counts.total,
    failed,
    errored: 0,
    skipped: counts.skipped ?? 0,
    failures: failures ?? Array.from({ length: failed }, (_, i) => failedTest(`case ${i + 1}`)),
  };
}

export function coverageReport(covered: number, total: number): CoverageReport {
  return {
    file: 'lcov.info',
    format: 'lcov',
    coveredLines: covered,
    totalLines: total,
    lineCoverage: linePercent(covered, total),
    files: [],
  };
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  const securitySeverity = overrides.securitySeverity ?? null;
  return {
    tool: 'Tool',
    ruleId: 'rule',
    level: 'warning',
    location: 'src/a.ts:1',
    message: 'message',
    securitySeverity,
    security: securityBucket(securitySeverity),
    ...overrides,
  };
}

export function sarifReport(findings: Finding[], incompleteRuns: string[] = []): SarifReport {
  return { file: 'scan.sarif', tools: ['Tool'], findings, incompleteRuns };
}

export function reports(parts: Partial<GateReports> = {}): GateReports {
  return { junit: [], coverage: [], sarif: [], ...parts };
}

/** A minimal SARIF 2.1.0 log with one run, for the rules of the format the real fixtures do not exercise. */
export function sarifLog(results: unknown[], run: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'Synthetic', rules: [] } }, results, ...run }],
  });
}
