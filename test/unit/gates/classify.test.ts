import { classifyReport, mayBeReport, rootElement } from '../../../shared/gates/classify';
import { report } from './helpers';

describe('classifyReport', () => {
  it.each([
    ['junit', ['junit', 'node-test.xml']],
    ['junit', ['junit', 'surefire', 'TEST-com.example.LedgerTest.xml']],
    ['coverage', ['code-coverage', 'c8-lcov.info']],
    ['coverage', ['code-coverage', 'jacoco.xml']],
    ['coverage', ['code-coverage', 'jest-clover.xml']],
    ['sarif', ['sarif', 'eslint.sarif']],
  ] as const)('tells a %s report by its content: %s', (kind, path) => {
    const bytes = report(...(path as unknown as [string, string]));
    expect(mayBeReport(path.join('/'), bytes.subarray(0, 1024))).toBe(true);
    expect(classifyReport(path.join('/'), bytes)).toBe(kind);
  });

  it('tells a SARIF log by its parsed content, whatever the order of its keys', () => {
    const log = JSON.stringify({
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      runs: [],
      version: '2.1.0',
    });
    expect(classifyReport('out/scan.json', Buffer.from(log))).toBe('sarif');
    expect(classifyReport('package.json', Buffer.from('{"name": "widgets", "version": "2.1.0"}'))).toBeUndefined();
  });

  it('finds the root element past declarations, comments and a doctype with an internal subset, in UTF-16 too', () => {
    const xml = `<?xml version="1.0"?>\n<!-- ${'x'.repeat(70_000)} -->\n<!DOCTYPE r [ <!ELEMENT r ANY> ]>\n<ns:testsuites/>`;
    expect(rootElement(xml)).toBe('testsuites');
    const utf16 = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(xml, 'utf16le').swap16()]);
    expect(classifyReport('TEST-x.xml', utf16)).toBe('junit');
    expect(rootElement('<!-- never closed')).toBeNull();
  });

  it('reads a doctype whose literals and internal subset hold ] and > (they hide no report)', () => {
    const junit =
      '<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "x>y.dtd" [\n  <!-- a ] and a > in a comment -->\n  <!ENTITY e "]>">\n]>\n<testsuite><testcase name="a"><failure/></testcase></testsuite>';
    expect(rootElement(junit)).toBe('testsuite');
    expect(classifyReport('TEST-a.xml', Buffer.from(junit))).toBe('junit');
  });

  it('names what may hide a report rather than passing it over: a prologue that never ends, a log too large to parse', () => {
    expect(classifyReport('TEST-a.xml', Buffer.from('<?xml version="1.0"?><!-- unterminated <testsuite>'))).toBe(
      'unreadable',
    );
    const huge = Buffer.concat([
      Buffer.from('{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":['),
      Buffer.alloc(33 * 1024 * 1024, 32),
    ]);
    expect(classifyReport('codeql.json', huge)).toBe('sarif');
    // A template that only starts like markup is no report.
    expect(classifyReport('page.ejs', Buffer.from('<% if (a) { %><p>x</p><% } %>'))).toBeUndefined();
  });

  it('reads a report that starts with more white space than a glance takes in, rather than passing it over', () => {
    // A PR author pads a JUnit file with failures so a first-bytes sniff would skip it.
    const padded = Buffer.from(`${' '.repeat(600)}\n<testsuite><testcase name="a"><failure/></testcase></testsuite>`);
    expect(mayBeReport('TEST-a.xml', padded)).toBe(true);
    expect(classifyReport('TEST-a.xml', padded)).toBe('junit');
    // White space as far as the head reaches: what follows it is read, not guessed at.
    expect(mayBeReport('out.txt', Buffer.alloc(64 * 1024, 32))).toBe(true);
    expect(mayBeReport('blank.txt', Buffer.from('   \n'))).toBe(false);
  });

  it('passes over what is not a report, and names a .sarif file that is not SARIF', () => {
    expect(classifyReport('index.html', Buffer.from('<!DOCTYPE html><html></html>'))).toBeUndefined();
    expect(classifyReport('logo.svg', Buffer.from('<?xml version="1.0"?><svg/>'))).toBeUndefined();
    expect(mayBeReport('function.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04]))).toBe(false);
    expect(mayBeReport('app.js', Buffer.from('export const a = 1;'))).toBe(false);
    expect(classifyReport('scan.sarif', Buffer.from('not json'))).toBe('unreadable');
    expect(classifyReport('scan.sarif', Buffer.from('{"version": "2.0.0", "runs": []}'))).toBe('unreadable');
  });
});
