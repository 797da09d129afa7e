import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORTS } from './helpers';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'gantry-gates-cli-'));

function gantry(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['cli/bin.mjs', 'gates', 'evaluate', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function config(name: string, gates: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof gates === 'string' ? gates : JSON.stringify(gates));
  return path;
}

const fixture = (...path: string[]) => join(REPORTS, ...path);

describe('gantry gates evaluate', () => {
  it('prints the evaluation and exits 0 when the gates pass', () => {
    const gates = config('pass.json', { minLineCoverage: 78.5, maxFindings: { error: 4, note: 2 } });
    const run = gantry(
      '--coverage',
      fixture('code-coverage', 'jacoco.xml'),
      '--sarif',
      fixture('sarif', 'flawfinder.sarif'),
      '--config',
      gates,
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      passed: true,
      reasons: [],
      metrics: {
        tests: { total: 0, failed: 0, skipped: 0 },
        lineCoverage: 78.57,
        findings: { error: 4, warning: 0, note: 2, critical: 0, high: 0 },
      },
    });
  });

  it('exits 1 with every reason, on stdout as JSON and on stderr for people', () => {
    const gates = config('fail.json', { requireTestsPassed: true, minLineCoverage: 80, maxFindings: { error: 0 } });
    const run = gantry(
      '--junit',
      fixture('junit', 'surefire'),
      '--junit',
      fixture('junit', 'node-test.xml'),
      '--coverage',
      fixture('code-coverage', 'jacoco.xml'),
      '--sarif',
      fixture('sarif', 'eslint.sarif'),
      '--config',
      gates,
    );
    const reasons = [
      '4 of 17 tests failed: com.example.AuditTest › auditOfNothingFails, com.example.LedgerTest › largestDebitIsPositive, math › subtracts, a test that throws before asserting',
      'line coverage 78.57% < 80%',
      '2 error-level findings > 0 allowed: no-eval at /tmp/gates-fixtures/js/app/db.js:16, no-undef at /tmp/gates-fixtures/js/app/db.js:25',
    ];
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      passed: false,
      reasons,
      metrics: {
        tests: { total: 17, failed: 4, skipped: 3 },
        lineCoverage: 78.57,
        findings: { error: 2, warning: 6, note: 0, critical: 0, high: 0 },
      },
    });
    expect(run.stderr).toBe(`gantry: gates failed: ${reasons.join('; ')}\n`);
  });

  it('without --config, requires the tests given to pass and no error-level finding', () => {
    const run = gantry('--junit', fixture('junit', 'pytest.xml'), '--sarif', fixture('sarif', 'flawfinder.sarif'));
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as { reasons: string[] }).reasons).toEqual([
      '2 of 8 tests failed: tests.test_stock › test_unknown_sku_counts_zero, tests.test_stock.TestRemove › test_remove_from_warehouse',
      '4 error-level findings > 0 allowed: FF1001 at copy.c:12, FF1015 at copy.c:13, FF1044 at copy.c:14, FF1016 at copy.c:15',
    ]);
  });

  it('exits 1 when a required report is missing', () => {
    const run = gantry('--config', config('tests.json', { requireTestsPassed: true }));
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as { reasons: string[] }).reasons).toEqual([
      'tests must pass, but no JUnit report was given',
    ]);
  });

  it.each([
    ['a missing report', ['--junit', '/nonexistent/report.xml'], 'gantry: no such file: /nonexistent/report.xml\n'],
    [
      'a truncated report',
      ['--sarif', config('cut.sarif', '{"version": "2.1.0", "runs": [')],
      `gantry: ${join(scratch, 'cut.sarif')}: not valid JSON: `,
    ],
    [
      'a report of the wrong kind',
      ['--coverage', fixture('junit', 'pytest.xml')],
      `gantry: ${fixture('junit', 'pytest.xml')}: not a coverage report: an XML document whose root is <testsuites>`,
    ],
    [
      'a config with a misspelt gate',
      ['--config', config('typo.json', { minLineCoverge: 80 })],
      `gantry: ${join(scratch, 'typo.json')}: invalid gates config at (root): Unrecognized key: "minLineCoverge"`,
    ],
    ['a missing config', ['--config', '/nonexistent/gates.json'], 'gantry: no such file: /nonexistent/gates.json\n'],
    [
      'two coverage reports',
      ['--coverage', fixture('code-coverage', 'jacoco.xml'), '--coverage', fixture('code-coverage', 'jest-lcov.info')],
      'gantry: --coverage may be given once\n',
    ],
    ['nothing to evaluate', [], 'gantry: nothing to evaluate: '],
    ['an unknown option', ['--lcov', 'x'], "error: unknown option '--lcov'"],
  ])('exits 2 on %s, with nothing on stdout', (_what, args, stderr) => {
    const run = gantry(...args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(stderr);
  });
});
