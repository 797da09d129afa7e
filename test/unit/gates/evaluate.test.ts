import type { Gates } from '../../../events';
import { evaluateGates, parseSarif } from '../../../shared/gates';
import { coverageReport, failedTest, finding, reports, sarifLog, sarifReport, testReport } from './helpers';

describe('evaluateGates', () => {
  it('passes with no gates and reports the metrics of what it was given', () => {
    const evaluation = evaluateGates(reports({ junit: [testReport({ total: 4, failed: 1, skipped: 1 })] }), {});
    expect(evaluation).toEqual({
      passed: true,
      reasons: [],
      metrics: {
        tests: { total: 4, failed: 1, skipped: 1 },
        lineCoverage: null,
        findings: { error: 0, warning: 0, note: 0, critical: 0, high: 0 },
      },
    });
  });

  describe('requireTestsPassed', () => {
    const gates: Gates = { requireTestsPassed: true };

    it.each([
      ['all passed', { total: 120 }, null],
      ['some skipped, none failed', { total: 120, skipped: 20 }, null],
      ['one failed', { total: 120, failed: 1 }, '1 of 120 tests failed: case 1'],
      ['three failed', { total: 120, failed: 3 }, '3 of 120 tests failed: case 1, case 2, case 3'],
      ['zero tests', { total: 0 }, 'no tests ran: the JUnit reports hold no test cases'],
      ['every test skipped', { total: 3, skipped: 3 }, 'no tests ran: all 3 tests were skipped'],
    ])('%s', (_what, counts, reason) => {
      const evaluation = evaluateGates(reports({ junit: [testReport(counts)] }), gates);
      expect(evaluation.reasons).toEqual(reason === null ? [] : [reason]);
      expect(evaluation.passed).toBe(reason === null);
    });

    it('fails when no JUnit report was given', () => {
      expect(evaluateGates(reports(), gates).reasons).toEqual(['tests must pass, but no JUnit report was given']);
    });

    it('names failing tests with their suite and file, then says how many more', () => {
      const failures = [
        failedTest('adds', { suite: 'math', file: 'src/math.test.ts' }),
        failedTest('math › divides', { suite: 'math', file: 'src/math.test.ts' }),
        failedTest('test_x', { suite: 'pytest', className: 'tests.test_y' }),
        ...Array.from({ length: 5 }, (_, i) => failedTest(`t${i}`)),
      ];
      const evaluation = evaluateGates(reports({ junit: [testReport({ total: 120, failed: 8 }, failures)] }), gates);
      expect(evaluation.reasons).toEqual([
        '8 of 120 tests failed: math › adds (src/math.test.ts), math › divides (src/math.test.ts), tests.test_y › test_x, t0, t1, and 3 more',
      ]);
    });

    it('sums several reports, counting errored cases as failed', () => {
      const surefire = { ...testReport({ total: 2 }), errored: 1, failures: [failedTest('e', { outcome: 'error' })] };
      const evaluation = evaluateGates(reports({ junit: [testReport({ total: 7, failed: 1 }), surefire] }), gates);
      expect(evaluation.metrics.tests).toEqual({ total: 9, failed: 2, skipped: 0 });
      expect(evaluation.reasons).toEqual(['2 of 9 tests failed: case 1, e']);
    });
  });

  describe('minLineCoverage', () => {
    it.each([
      ['above', 8001, 80, 80.01, null],
      ['at', 8000, 80, 80, null],
      ['just below, never rounded up to the limit', 7999, 80, 79.99, 'line coverage 79.99% < 80%'],
      ['below', 7240, 80, 72.4, 'line coverage 72.4% < 80%'],
      ['at a fractional limit', 7250, 72.5, 72.5, null],
    ])('%s the limit', (_what, covered, min, percent, reason) => {
      const evaluation = evaluateGates(reports({ coverage: [coverageReport(covered, 10_000)] }), {
        minLineCoverage: min,
      });
      expect(evaluation.metrics.lineCoverage).toBe(percent);
      expect(evaluation.reasons).toEqual(reason === null ? [] : [reason]);
    });

    it('fails when no coverage report was given', () => {
      expect(evaluateGates(reports(), { minLineCoverage: 80 }).reasons).toEqual([
        'line coverage must be at least 80%, but no coverage report was given',
      ]);
    });

    it('fails when the report counts no lines', () => {
      expect(evaluateGates(reports({ coverage: [coverageReport(0, 0)] }), { minLineCoverage: 80 }).reasons).toEqual([
        'line coverage must be at least 80%, but the coverage report counts no lines',
      ]);
    });

    it('combines several coverage reports line by line', () => {
      const evaluation = evaluateGates(reports({ coverage: [coverageReport(90, 100), coverageReport(10, 100)] }), {});
      expect(evaluation.metrics.lineCoverage).toBe(50);
    });
  });

  describe('maxFindings', () => {
    const at = (level: 'error' | 'warning' | 'note', count: number) =>
      Array.from({ length: count }, (_, i) =>
        finding({ level, ruleId: `${level}-rule`, location: `src/a.ts:${i + 1}` }),
      );

    it.each([
      ['error', 1, null],
      ['error', 2, null],
      [
        'error',
        3,
        '3 error-level findings > 2 allowed: error-rule at src/a.ts:1, error-rule at src/a.ts:2, error-rule at src/a.ts:3',
      ],
      ['warning', 2, null],
      [
        'warning',
        3,
        '3 warning-level findings > 2 allowed: warning-rule at src/a.ts:1, warning-rule at src/a.ts:2, warning-rule at src/a.ts:3',
      ],
      [
        'note',
        3,
        '3 note-level findings > 2 allowed: note-rule at src/a.ts:1, note-rule at src/a.ts:2, note-rule at src/a.ts:3',
      ],
    ] as const)('%s: %i findings against a limit of 2', (level, count, reason) => {
      const evaluation = evaluateGates(reports({ sarif: [sarifReport(at(level, count))] }), {
        maxFindings: { [level]: 2 },
      });
      expect(evaluation.reasons).toEqual(reason === null ? [] : [reason]);
    });

    it('caps a long list with "and N more", and says "finding" for one', () => {
      const evaluation = evaluateGates(reports({ sarif: [sarifReport([...at('error', 9), ...at('warning', 1)])] }), {
        maxFindings: { error: 0, warning: 0 },
      });
      expect(evaluation.reasons).toEqual([
        '9 error-level findings > 0 allowed: error-rule at src/a.ts:1, error-rule at src/a.ts:2, error-rule at src/a.ts:3, error-rule at src/a.ts:4, error-rule at src/a.ts:5, and 4 more',
        '1 warning-level finding > 0 allowed: warning-rule at src/a.ts:1',
      ]);
    });

    it('does not limit a level left out, nor count level none', () => {
      const evaluation = evaluateGates(
        reports({ sarif: [sarifReport([...at('warning', 50), finding({ level: 'none' })])] }),
        {
          maxFindings: { error: 0 },
        },
      );
      expect(evaluation.passed).toBe(true);
      expect(evaluation.metrics.findings).toEqual({ error: 0, warning: 50, note: 0, critical: 0, high: 0 });
    });

    it('fails when no SARIF report was given', () => {
      expect(evaluateGates(reports(), { maxFindings: { error: 0 } }).reasons).toEqual([
        'findings are limited, but no SARIF report was given',
      ]);
    });

    it('fails when a tool did not complete its run', () => {
      const evaluation = evaluateGates(reports({ sarif: [sarifReport([], ['CodeQL'])] }), {
        maxFindings: { error: 0 },
      });
      expect(evaluation.reasons).toEqual([
        'CodeQL did not complete its analysis in scan.sarif, so its findings are not a full count',
      ]);
    });
  });

  describe('maxSecurity', () => {
    const scored = (scores: number[]) =>
      parseSarif(
        sarifLog(
          scores.map((score, i) => ({
            ruleId: `sec-${score}`,
            message: { text: 'm' },
            properties: { 'security-severity': String(score) },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'src/db.ts' }, region: { startLine: i + 1 } } }],
          })),
        ),
        'scan.sarif',
      );

    it.each([
      [6.9, 0, 0],
      [7.0, 0, 1],
      [8.9, 0, 1],
      [9.0, 1, 0],
      [10, 1, 0],
    ])('buckets a security-severity of %d as %i critical, %i high', (score, critical, high) => {
      const evaluation = evaluateGates(reports({ sarif: [scored([score])] }), {});
      expect(evaluation.metrics.findings).toMatchObject({ critical, high });
    });

    it.each([
      [{ critical: 1 }, []],
      [{ critical: 0 }, ['1 critical-severity finding > 0 allowed: sec-9.5 at src/db.ts:3 (9.5)']],
      [{ high: 2 }, []],
      [{ high: 1 }, ['2 high-severity findings > 1 allowed: sec-7 at src/db.ts:1 (7), sec-8.9 at src/db.ts:2 (8.9)']],
    ])('applies %j to one critical and two high findings', (maxSecurity, reasons) => {
      const evaluation = evaluateGates(reports({ sarif: [scored([7, 8.9, 9.5, 4])] }), { maxSecurity });
      expect(evaluation.reasons).toEqual(reasons);
    });

    it('fails when no SARIF report was given', () => {
      expect(evaluateGates(reports(), { maxSecurity: { critical: 0 } }).reasons).toEqual([
        'findings are limited, but no SARIF report was given',
      ]);
    });
  });

  it('lists every failing gate, in the order tests, coverage, findings, security', () => {
    const evaluation = evaluateGates(
      reports({
        junit: [testReport({ total: 10, failed: 1 })],
        coverage: [coverageReport(50, 100)],
        sarif: [sarifReport([finding({ level: 'error', securitySeverity: 9.8 })])],
      }),
      { requireTestsPassed: true, minLineCoverage: 80, maxFindings: { error: 0 }, maxSecurity: { critical: 0 } },
    );
    expect(evaluation).toEqual({
      passed: false,
      reasons: [
        '1 of 10 tests failed: case 1',
        'line coverage 50% < 80%',
        '1 error-level finding > 0 allowed: rule at src/a.ts:1',
        '1 critical-severity finding > 0 allowed: rule at src/a.ts:1 (9.8)',
      ],
      metrics: {
        tests: { total: 10, failed: 1, skipped: 0 },
        lineCoverage: 50,
        findings: { error: 1, warning: 0, note: 0, critical: 1, high: 0 },
      },
    });
  });
});
