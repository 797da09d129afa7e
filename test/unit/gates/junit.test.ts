import { MAX_LISTED_FAILURES, parseJUnit, ReportParseError } from '../../../shared/gates';
import { report } from './helpers';

describe('parseJUnit', () => {
  it.each([
    ['jest-junit.xml', { total: 12, failed: 3, errored: 1, skipped: 1 }],
    ['node-test.xml', { total: 8, failed: 2, errored: 0, skipped: 2 }],
    ['pytest.xml', { total: 8, failed: 1, errored: 1, skipped: 3 }],
    ['surefire/TEST-com.example.AuditTest.xml', { total: 2, failed: 0, errored: 1, skipped: 0 }],
    ['surefire/TEST-com.example.LedgerTest.xml', { total: 7, failed: 1, errored: 0, skipped: 1 }],
  ])('counts the cases of %s', (file, counts) => {
    expect(parseJUnit(report('junit', file), file)).toMatchObject({ file, ...counts });
  });

  it('reads jest-junit failures from the body, with the file attribute and the suite that failed to run', () => {
    const { failures } = parseJUnit(report('junit', 'jest-junit.xml'), 'jest-junit.xml');
    expect(failures).toEqual([
      {
        suite: 'math',
        className: null,
        name: 'math subtracts',
        outcome: 'failure',
        message: 'Error: expect(received).toBe(expected) // Object.is equality',
        file: 'test/math.test.js',
      },
      {
        suite: 'strings',
        className: null,
        name: 'strings truncates with an ellipsis',
        outcome: 'failure',
        message: 'Error: expect(received).toBe(expected) // Object.is equality',
        file: 'test/strings.test.js',
      },
      expect.objectContaining({
        suite: 'test/broken.test.js',
        className: 'Test suite failed to run',
        outcome: 'error',
        message: '● Test suite failed to run',
      }),
      expect.objectContaining({ className: 'Test suite failed to run', outcome: 'failure' }),
    ]);
  });

  it("reads Node's reporter: cases outside any suite, the generic classname dropped, a failing todo as skipped", () => {
    const { failures } = parseJUnit(report('junit', 'node-test.xml'), 'node-test.xml');
    expect(failures).toEqual([
      {
        suite: 'math',
        className: null,
        name: 'subtracts',
        outcome: 'failure',
        message: 'Expected values to be strictly equal:8 !== 2',
        file: null,
      },
      {
        suite: null,
        className: null,
        name: 'a test that throws before asserting',
        outcome: 'failure',
        message: "Expected property name or '}' in JSON at position 1",
        file: null,
      },
    ]);
  });

  it("reads pytest's one-line report: class names, setup errors, xfail as skipped", () => {
    const { failures } = parseJUnit(report('junit', 'pytest.xml'), 'pytest.xml');
    expect(failures).toEqual([
      {
        suite: 'pytest',
        className: 'tests.test_stock',
        name: 'test_unknown_sku_counts_zero',
        outcome: 'failure',
        message: 'AssertionError: assert 1 == 0',
        file: null,
      },
      {
        suite: 'pytest',
        className: 'tests.test_stock.TestRemove',
        name: 'test_remove_from_warehouse',
        outcome: 'error',
        message: 'failed on setup with "ConnectionError: warehouse database is unreachable"',
        file: null,
      },
    ]);
  });

  it("reads Surefire's failure and error messages from their attributes", () => {
    const ledger = parseJUnit(report('junit', 'surefire', 'TEST-com.example.LedgerTest.xml'), 'ledger.xml');
    const audit = parseJUnit(report('junit', 'surefire', 'TEST-com.example.AuditTest.xml'), 'audit.xml');
    expect(ledger.failures).toEqual([
      {
        suite: 'com.example.LedgerTest',
        className: 'com.example.LedgerTest',
        name: 'largestDebitIsPositive',
        outcome: 'failure',
        message: 'largest debit in cents ==> expected: <700> but was: <701>',
        file: null,
      },
    ]);
    expect(audit.failures[0]).toMatchObject({
      name: 'auditOfNothingFails',
      outcome: 'error',
      message: 'Cannot invoke "com.example.Ledger.balance()" because "ledger" is null',
    });
  });

  // Inline documents below are shaped after the tools' documented output, not written by them.
  it('counts a Surefire case that failed and then passed on rerun as passed', () => {
    const xml = `<testsuite name="S"><testcase name="flaky" classname="S"><flakyFailure message="first run"/></testcase></testsuite>`;
    expect(parseJUnit(xml, 'flaky.xml')).toMatchObject({ total: 1, failed: 0, errored: 0, failures: [] });
  });

  it('counts a case with both a failure and an error once, as a failure', () => {
    const xml = `<testsuite name="S"><testcase name="t"><failure message="assert"/><error message="teardown"/></testcase></testsuite>`;
    expect(parseJUnit(xml, 'both.xml')).toMatchObject({ total: 1, failed: 1, errored: 0 });
  });

  it('takes the file of the nearest suite that names one', () => {
    const xml = `<testsuites><testsuite name="outer" file="a.test.ts"><testsuite name="inner"><testcase name="t"><failure/></testcase></testsuite></testsuite></testsuites>`;
    expect(parseJUnit(xml, 'nested.xml').failures[0]).toMatchObject({ suite: 'inner', file: 'a.test.ts' });
  });

  it(`keeps the first ${MAX_LISTED_FAILURES} failing cases and counts all of them`, () => {
    const cases = Array.from({ length: 1500 }, (_, i) => `<testcase name="t${i}"><failure message="m"/></testcase>`);
    const parsed = parseJUnit(`<testsuite name="S">${cases.join('')}</testsuite>`, 'many.xml');
    expect(parsed).toMatchObject({ total: 1500, failed: 1500 });
    expect(parsed.failures).toHaveLength(MAX_LISTED_FAILURES);
  });

  it.each([
    [
      'UTF-8 with a byte order mark',
      Buffer.from('\ufeff<testsuite name="é"><testcase name="t"><failure/></testcase></testsuite>'),
    ],
    [
      'UTF-16LE with a byte order mark',
      Buffer.from('\ufeff<testsuite name="é"><testcase name="t"><failure/></testcase></testsuite>', 'utf16le'),
    ],
  ])('reads a report encoded as %s', (_encoding, bytes) => {
    expect(parseJUnit(bytes, 'bom.xml')).toMatchObject({ total: 1, failed: 1, failures: [{ suite: 'é' }] });
  });

  it('reads an empty suite as zero tests', () => {
    expect(parseJUnit('<testsuites/>', 'empty.xml')).toMatchObject({ total: 0, failed: 0, failures: [] });
  });

  it('refuses a document that is not a JUnit report, naming the file and its root', () => {
    expect(() => parseJUnit(report('code-coverage', 'jacoco.xml'), 'jacoco.xml')).toThrow(
      new ReportParseError('jacoco.xml', 'junit', 'not a JUnit report: the root element is <report>'),
    );
  });
});

describe('parseJUnit: a suite that failed with no case to carry it', () => {
  it('counts a suite’s own error or failure as one errored or failed case of that suite', () => {
    const xml = `<testsuites>
  <testsuite name="unit" tests="1"><testcase name="adds"/></testsuite>
  <testsuite name="integration" tests="0" errors="1"><error message="Test suite failed to run">Cannot find module './db'</error></testsuite>
  <testsuite name="e2e" tests="0" failures="1"><failure>  setup hook failed
at beforeAll</failure></testsuite>
</testsuites>`;
    const parsed = parseJUnit(xml, 'junit.xml');
    expect(parsed).toMatchObject({ total: 3, failed: 1, errored: 1 });
    expect(parsed.failures).toEqual([
      expect.objectContaining({
        suite: 'integration',
        name: 'integration (the suite itself)',
        outcome: 'error',
        message: 'Test suite failed to run',
      }),
      expect.objectContaining({ suite: 'e2e', outcome: 'failure', message: 'setup hook failed' }),
    ]);
  });
});
