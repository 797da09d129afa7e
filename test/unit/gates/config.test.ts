import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatesSchema } from '../../../events';
import {
  GatesConfigError,
  impliedGates,
  parseGatesConfig,
  ReportParseError,
  ReportReadError,
  readGateReports,
} from '../../../shared/gates';
import { REPORTS } from './helpers';

describe('GatesSchema', () => {
  it('accepts every gate, and none', () => {
    const gates = {
      requireTestsPassed: true,
      minLineCoverage: 72.5,
      maxFindings: { error: 0, warning: 10, note: 100 },
      maxSecurity: { critical: 0, high: 2 },
    };
    expect(GatesSchema.parse(gates)).toEqual(gates);
    expect(GatesSchema.parse({})).toEqual({});
  });

  it.each([
    ['a misspelt gate', { minLineCoverge: 80 }],
    ['a misspelt level', { maxFindings: { errors: 0 } }],
    ['coverage over 100', { minLineCoverage: 101 }],
    ['a negative limit', { maxSecurity: { high: -1 } }],
    ['a fractional limit', { maxFindings: { error: 0.5 } }],
    ['a string for a boolean', { requireTestsPassed: 'yes' }],
  ])('refuses %s', (_what, gates) => {
    expect(GatesSchema.safeParse(gates).success).toBe(false);
  });
});

describe('parseGatesConfig', () => {
  it('names the first wrong field', () => {
    expect(() => parseGatesConfig('{"maxFindings": {"error": -1}}', 'gates.json')).toThrow(
      new GatesConfigError('gates.json', 'invalid gates config at maxFindings.error: must be 0 or more'),
    );
  });

  it('refuses what is not JSON', () => {
    expect(() => parseGatesConfig('minLineCoverage: 80', 'gates.json')).toThrow(/^gates\.json: not valid JSON: /);
  });
});

describe('impliedGates', () => {
  it('asks for passing tests and no error-level findings of the reports given, and no coverage minimum', () => {
    expect(impliedGates({ junit: ['a.xml'], coverage: ['lcov.info'], sarif: ['s.sarif'] })).toEqual({
      requireTestsPassed: true,
      maxFindings: { error: 0 },
    });
    expect(impliedGates({ junit: [], coverage: ['lcov.info'], sarif: [] })).toEqual({});
  });
});

describe('readGateReports', () => {
  it('reads a folder of JUnit files (as Surefire writes them) in name order', async () => {
    const read = await readGateReports({ junit: [join(REPORTS, 'junit', 'surefire')], coverage: [], sarif: [] });
    expect(read.junit.map((r) => [r.file.split('/').at(-1), r.total])).toEqual([
      ['TEST-com.example.AuditTest.xml', 2],
      ['TEST-com.example.LedgerTest.xml', 7],
    ]);
  });

  it('reads every kind', async () => {
    const read = await readGateReports({
      junit: [join(REPORTS, 'junit', 'pytest.xml')],
      coverage: [join(REPORTS, 'code-coverage', 'jacoco.xml')],
      sarif: [join(REPORTS, 'sarif', 'eslint.sarif'), join(REPORTS, 'sarif', 'flawfinder.sarif')],
    });
    expect([read.junit.length, read.coverage[0]?.format, read.sarif.length]).toEqual([1, 'jacoco', 2]);
  });

  it.each([
    ['a missing file', { junit: ['/nonexistent/junit.xml'] }, ReportReadError, 'no such file: /nonexistent/junit.xml'],
    ['a folder given as a report', { sarif: [REPORTS] }, ReportReadError, `cannot read ${REPORTS}: not a regular file`],
    ['a folder with no XML', { junit: [join(REPORTS, 'sarif')] }, ReportReadError, 'no .xml files in this folder'],
    [
      'a report of the wrong kind',
      { coverage: [join(REPORTS, 'sarif', 'eslint.sarif')] },
      ReportParseError,
      'not a coverage report',
    ],
  ])('refuses %s', async (_what, files, type, message) => {
    const reading = readGateReports({ junit: [], coverage: [], sarif: [], ...files });
    await expect(reading).rejects.toThrow(type);
    await expect(reading).rejects.toThrow(message);
  });

  it('refuses a file over the size limit without reading it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-gates-'));
    const path = join(dir, 'huge.xml');
    await writeFile(path, Buffer.alloc(33 * 1024 * 1024, 0x20));
    await expect(readGateReports({ junit: [path], coverage: [], sarif: [] })).rejects.toThrow(
      `${path}: report is 33.0 MiB, larger than the 32 MiB limit`,
    );
  });
});
