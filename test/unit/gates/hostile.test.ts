import { parseJUnit, parseSarif, ReportParseError } from '../../../shared/gates';
import { BILLION_LAUGHS, EXTERNAL_ENTITY, junkUnderLimit, oversized, PARSERS } from '../../support/hostile-reports';
import { report } from './helpers';

/**
 * Runs a parse that must fail with a ReportParseError, and hands back the error. (How fast each
 * refusal comes is `npm run bench -- gates`' to measure, not a test's.)
 */
function refusal(parse: () => unknown): ReportParseError {
  let caught: unknown;
  try {
    parse();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ReportParseError);
  return caught as ReportParseError;
}

describe('hostile and broken reports', () => {
  it.each([
    ['billion laughs', 'junit', BILLION_LAUGHS],
    ['billion laughs', 'coverage', BILLION_LAUGHS.replaceAll('testsuites', 'coverage')],
    ['an external entity', 'coverage', EXTERNAL_ENTITY],
    ['an external entity', 'junit', EXTERNAL_ENTITY.replaceAll('coverage', 'testsuites')],
    ['a parameter entity', 'junit', '<!DOCTYPE t [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]><testsuites/>'],
  ])('refuses %s in a %s report before expanding anything', (_what, kind, xml) => {
    const error = refusal(() => PARSERS[kind]?.(xml, 'evil.xml'));
    expect(error.message).toBe('evil.xml: refusing a DOCTYPE that declares entities');
  });

  it('refuses an entity that no DOCTYPE declares', () => {
    const error = refusal(() => parseJUnit('<testsuites><testsuite name="&xxe;"/></testsuites>', 'e.xml'));
    expect(error.message).toMatch(/^e\.xml: not well-formed XML: .*undefined entity/);
  });

  describe('50 MB of junk', () => {
    const junk = oversized();

    it.each(Object.keys(PARSERS))('is refused by the %s parser on its size alone', (kind) => {
      const error = refusal(() => PARSERS[kind]?.(junk, 'junk'));
      expect(error.message).toBe('junk: report is 50.0 MiB, larger than the 32 MiB limit');
    });
  });

  describe('junk under the size limit', () => {
    it.each(junkUnderLimit())('fails cleanly on %s given to the %s parser', (_what, kind, input) => {
      refusal(() => PARSERS[kind]?.(input, 'junk'));
    });
  });

  it.each([
    ['junit', 'junit/jest-junit.xml'],
    ['junit', 'junit/node-test.xml'],
    ['junit', 'junit/pytest.xml'],
    ['junit', 'junit/surefire/TEST-com.example.LedgerTest.xml'],
    ['coverage', 'code-coverage/jest-cobertura.xml'],
    ['coverage', 'code-coverage/c8-clover.xml'],
    ['coverage', 'code-coverage/jest-lcov.info'],
    ['coverage', 'code-coverage/jacoco.xml'],
    ['sarif', 'sarif/eslint.sarif'],
    ['sarif', 'sarif/flawfinder.sarif'],
  ])('refuses %s cut in half: %s', (kind, path) => {
    const whole = report(...path.split('/'));
    refusal(() => PARSERS[kind]?.(whole.subarray(0, Math.floor(whole.length / 2)), path));
  });

  it.each(Object.keys(PARSERS))('refuses an empty %s report', (kind) => {
    refusal(() => PARSERS[kind]?.('', 'empty'));
  });

  it('treats property-like names as plain data', () => {
    const xml = `<testsuite name="__proto__"><testcase classname="constructor" name="toString"><failure message="__proto__"/></testcase></testsuite>`;
    expect(parseJUnit(xml, 'p.xml').failures[0]).toMatchObject({ suite: '__proto__', className: 'constructor' });
    const sarif = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T"}},"results":[{"message":{"text":"m"},"properties":{"__proto__":{"polluted":true}}}]}]}`;
    parseSarif(sarif, 'p.sarif');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
