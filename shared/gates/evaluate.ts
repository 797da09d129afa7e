import type { GateEvaluation, GateMetrics, Gates } from '../../events';
import { findingLabel, nameSome, percent, plural, testLabel } from './describe';
import { metricsOf } from './metrics';
import type { FindingLevel, GateReports, SecurityBucket } from './reports';

/**
 * Evaluates the gates against the reports of one build. Every failing gate gives its own reason,
 * so a developer fixes them all in one round; a gate whose report is missing fails rather than
 * passing by default, and so does a test gate with no test that ran.
 */
export function evaluateGates(reports: GateReports, gates: Gates): GateEvaluation {
  const metrics = metricsOf(reports);
  const reasons = [
    ...(reports.unreadable ?? []),
    ...testReasons(reports, gates, metrics),
    ...coverageReasons(reports, gates, metrics),
    ...sarifReasons(reports, gates),
    ...levelReasons(reports, gates, metrics),
    ...securityReasons(reports, gates, metrics),
  ];
  return { passed: reasons.length === 0, reasons, metrics };
}

function testReasons(reports: GateReports, gates: Gates, { tests }: GateMetrics): string[] {
  if (gates.requireTestsPassed !== true) return [];
  if (reports.junit.length === 0) return ['tests must pass, but no JUnit report was given'];
  if (tests.total === 0) return ['no tests ran: the JUnit reports hold no test cases'];
  if (tests.failed > 0) {
    const labels = reports.junit.flatMap((r) => r.failures.map(testLabel));
    return [`${tests.failed} of ${plural(tests.total, 'test')} failed: ${nameSome(labels, tests.failed)}`];
  }
  if (tests.skipped === tests.total) return [`no tests ran: all ${plural(tests.total, 'test')} were skipped`];
  return [];
}

function coverageReasons(reports: GateReports, gates: Gates, { lineCoverage }: GateMetrics): string[] {
  const min = gates.minLineCoverage;
  if (min === undefined) return [];
  if (reports.coverage.length === 0)
    return [`line coverage must be at least ${percent(min)}, but no coverage report was given`];
  if (lineCoverage === null)
    return [`line coverage must be at least ${percent(min)}, but the coverage report counts no lines`];
  return lineCoverage < min ? [`line coverage ${percent(lineCoverage)} < ${percent(min)}`] : [];
}

function hasLimits(limits: Record<string, number | undefined> | undefined): boolean {
  return limits !== undefined && Object.values(limits).some((limit) => limit !== undefined);
}

/** Finding limits need a SARIF log, and one whose tools finished: otherwise zero proves nothing. */
function sarifReasons(reports: GateReports, gates: Gates): string[] {
  if (!hasLimits(gates.maxFindings) && !hasLimits(gates.maxSecurity)) return [];
  if (reports.sarif.length === 0) return ['findings are limited, but no SARIF report was given'];
  return reports.sarif.flatMap((report) =>
    report.incompleteRuns.map(
      (tool) => `${tool} did not complete its analysis in ${report.file}, so its findings are not a full count`,
    ),
  );
}

const LEVELS = ['error', 'warning', 'note'] as const satisfies readonly FindingLevel[];
const BUCKETS = ['critical', 'high'] as const satisfies readonly SecurityBucket[];

function levelReasons(reports: GateReports, gates: Gates, { findings }: GateMetrics): string[] {
  if (reports.sarif.length === 0) return [];
  return LEVELS.flatMap((level) => {
    const limit = gates.maxFindings?.[level];
    if (limit === undefined || findings[level] <= limit) return [];
    const labels = reports.sarif.flatMap((r) => r.findings.filter((f) => f.level === level).map(findingLabel));
    return [`${plural(findings[level], `${level}-level finding`)} > ${limit} allowed: ${nameSome(labels)}`];
  });
}

function securityReasons(reports: GateReports, gates: Gates, { findings }: GateMetrics): string[] {
  if (reports.sarif.length === 0) return [];
  return BUCKETS.flatMap((bucket) => {
    const limit = gates.maxSecurity?.[bucket];
    if (limit === undefined || findings[bucket] <= limit) return [];
    const labels = reports.sarif.flatMap((r) =>
      r.findings.filter((f) => f.security === bucket).map((f) => `${findingLabel(f)} (${f.securitySeverity})`),
    );
    return [`${plural(findings[bucket], `${bucket}-severity finding`)} > ${limit} allowed: ${nameSome(labels)}`];
  });
}
