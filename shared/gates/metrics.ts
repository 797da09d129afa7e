import type { GateMetrics } from '../../events';
import { type GateReports, linePercent } from './reports';

/** Sums the reports: failed tests include errored ones; findings of level `none` count in no level. */
export function metricsOf(reports: GateReports): GateMetrics {
  const tests = { total: 0, failed: 0, skipped: 0 };
  for (const r of reports.junit) {
    tests.total += r.total;
    tests.failed += r.failed + r.errored;
    tests.skipped += r.skipped;
  }
  const covered = reports.coverage.reduce((sum, r) => sum + r.coveredLines, 0);
  const total = reports.coverage.reduce((sum, r) => sum + r.totalLines, 0);
  const findings = { error: 0, warning: 0, note: 0, critical: 0, high: 0 };
  for (const finding of reports.sarif.flatMap((r) => r.findings)) {
    if (finding.level !== 'none') findings[finding.level] += 1;
    if (finding.security !== null) findings[finding.security] += 1;
  }
  return { tests, lineCoverage: linePercent(covered, total), findings };
}
