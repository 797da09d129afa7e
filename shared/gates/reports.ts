/** One test case that failed or errored, as the gates name it in a reason. */
export interface FailedTest {
  /** The nearest enclosing `<testsuite>`'s name, or null for a case at the top level. */
  readonly suite: string | null;
  /** The case's `classname`, when the tool writes a meaningful one. */
  readonly className: string | null;
  readonly name: string;
  /** `failure` for an assertion that did not hold; `error` for a test that could not run. */
  readonly outcome: 'failure' | 'error';
  /** The tool's message, on one line and shortened; empty when the tool wrote none. */
  readonly message: string;
  /** The source file, when the tool records it on the case or its suite. */
  readonly file: string | null;
}

/** What a JUnit XML report says about one test run. */
export interface TestReport {
  readonly file: string;
  readonly total: number;
  readonly failed: number;
  readonly errored: number;
  readonly skipped: number;
  /** The failing cases in document order; at most `MAX_LISTED_FAILURES` are kept, counts stay exact. */
  readonly failures: readonly FailedTest[];
}

/** The coverage formats the parsers read, detected from each file's content. */
export type CoverageFormat = 'cobertura' | 'lcov' | 'jacoco' | 'clover';

/** Executable lines of one source file and how many of them ran. */
export interface FileCoverage {
  readonly path: string;
  readonly coveredLines: number;
  readonly totalLines: number;
  /** covered/total as a percentage (see `linePercent`), or null for a file with no executable lines. */
  readonly lineCoverage: number | null;
}

/** What a coverage report says about line coverage, overall and per file. */
export interface CoverageReport {
  readonly file: string;
  readonly format: CoverageFormat;
  readonly coveredLines: number;
  readonly totalLines: number;
  readonly lineCoverage: number | null;
  readonly files: readonly FileCoverage[];
}

/** SARIF result levels (§3.27.10). */
export type FindingLevel = 'error' | 'warning' | 'note' | 'none';

/** GitHub's buckets for a `security-severity` score: ≥ 9.0 critical, ≥ 7.0 high. */
export type SecurityBucket = 'critical' | 'high';

/** One SARIF result that counts against the gates (kind `fail`, not suppressed). */
export interface Finding {
  readonly tool: string;
  readonly ruleId: string | null;
  readonly level: FindingLevel;
  /** The `security-severity` score from the result's or its rule's properties, when present. */
  readonly securitySeverity: number | null;
  readonly security: SecurityBucket | null;
  /** `path:line` (or just `path`) of the first location, or null when the result has none. */
  readonly location: string | null;
  readonly message: string;
}

/** What a SARIF log says, across all of its runs. */
export interface SarifReport {
  readonly file: string;
  /** The driver name of each run, in order. */
  readonly tools: readonly string[];
  readonly findings: readonly Finding[];
  /** Tools whose run did not complete (`results: null`, or an invocation that failed). */
  readonly incompleteRuns: readonly string[];
}

/** Every report a gate evaluation looks at; an empty list means none of that kind was given. */
export interface GateReports {
  readonly junit: readonly TestReport[];
  readonly coverage: readonly CoverageReport[];
  readonly sarif: readonly SarifReport[];
  /** Files that claim to be reports but cannot be read as one: each fails the gates, with its reason. */
  readonly unreadable?: readonly string[];
}

/**
 * covered/total × 100, rounded down to two decimals so that a value shown as meeting a
 * threshold always does; null when there is nothing to cover.
 */
export function linePercent(covered: number, total: number): number | null {
  if (total <= 0) return null;
  return Math.floor((covered * 10_000) / total) / 100;
}

/** The bucket for a `security-severity` score; scores below 7.0 (medium, low) have none. */
export function securityBucket(score: number | null): SecurityBucket | null {
  if (score === null || !Number.isFinite(score)) return null;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  return null;
}
