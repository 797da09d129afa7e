import { performance } from 'node:perf_hooks';
import { parseCoverage, parseJUnit, parseSarif, type ReportInput, ReportParseError } from '../../../shared/gates';
import { report } from './helpers';

const PARSERS: Record<string, (input: ReportInput, file: string) => unknown> = {
  junit: parseJUnit,
  coverage: parseCoverage,
  sarif: parseSarif,
};

/** Runs a parse that must fail with a ReportParseError, within `ms`, and hands back the error. */
function failsFast(parse: () => unknown, ms: number): ReportParseError {
  const start = performance.now();
  let caught: unknown;
  try {
    parse();
  } catch (error) {
    caught = error;
  }
  expect(performance.now() - start).toBeLessThan(ms);
  expect(caught).toBeInstanceOf(ReportParseError);
  return caught as ReportParseError;
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE testsuites [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuites><testsuite name="&lol9;"><testcase name="&lol9;"/></testsuite></testsuites>`;

const EXTERNAL_ENTITY = `<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<coverage lines-valid="1" lines-covered="1"><sources><source>&xxe;</source></sources></coverage>`;

describe('hostile and broken reports', () => {
  it.each([
    ['billion laughs', 'junit', BILLION_LAUGHS],
    ['billion laughs', 'coverage', BILLION_LAUGHS.replaceAll('testsuites', 'coverage')],
    ['an external entity', 'coverage', EXTERNAL_ENTITY],
    ['an external entity', 'junit', EXTERNAL_ENTITY.replaceAll('coverage', 'testsuites')],
    ['a parameter entity', 'junit', '<!DOCTYPE t [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]><testsuites/>'],
  ])('refuses %s in a %s report before expanding anything', (_what, kind, xml) => {
    const error = failsFast(() => PARSERS[kind]?.(xml, 'evil.xml'), 500);
    expect(error.message).toBe('evil.xml: refusing a DOCTYPE that declares entities');
  });

  it('refuses an entity that no DOCTYPE declares', () => {
    const error = failsFast(() => parseJUnit('<testsuites><testsuite name="&xxe;"/></testsuites>', 'e.xml'), 500);
    expect(error.message).toMatch(/^e\.xml: not well-formed XML: .*undefined entity/);
  });

  describe('50 MB of junk', () => {
    const junk = Buffer.alloc(50 * 1024 * 1024, '<x');

    it.each(Object.keys(PARSERS))('is refused by the %s parser on its size alone', (kind) => {
      const error = failsFast(() => PARSERS[kind]?.(junk, 'junk'), 500);
      expect(error.message).toBe('junk: report is 50.0 MiB, larger than the 32 MiB limit');
    });
  });

  describe('junk under the size limit', () => {
    const tags = Buffer.alloc(30 * 1024 * 1024, '<x');
    const bytes = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7919 + 13) % 256));
    const deep = '<testsuites>'.repeat(200_000);

    it.each([
      ['tag soup', 'junit', tags],
      ['tag soup', 'coverage', tags],
      ['tag soup', 'sarif', tags],
      ['binary', 'junit', bytes],
      ['binary', 'coverage', bytes],
      ['binary', 'sarif', bytes],
      ['elements nested 200,000 deep', 'junit', deep],
    ])('fails cleanly and fast on %s given to the %s parser', (_what, kind, input) => {
      failsFast(() => PARSERS[kind]?.(input, 'junk'), 2_000);
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
    failsFast(() => PARSERS[kind]?.(whole.subarray(0, Math.floor(whole.length / 2)), path), 500);
  });

  it.each(Object.keys(PARSERS))('refuses an empty %s report', (kind) => {
    failsFast(() => PARSERS[kind]?.('', 'empty'), 500);
  });

  it('treats property-like names as plain data', () => {
    const xml = `<testsuite name="__proto__"><testcase classname="constructor" name="toString"><failure message="__proto__"/></testcase></testsuite>`;
    expect(parseJUnit(xml, 'p.xml').failures[0]).toMatchObject({ suite: '__proto__', className: 'constructor' });
    const sarif = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T"}},"results":[{"message":{"text":"m"},"properties":{"__proto__":{"polluted":true}}}]}]}`;
    parseSarif(sarif, 'p.sarif');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
