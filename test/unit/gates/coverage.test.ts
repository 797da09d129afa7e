import {
  detectCoverageFormat,
  parseClover,
  parseCobertura,
  parseCoverage,
  parseJaCoCo,
  parseLcov,
  ReportParseError,
} from '../../../shared/gates';
import { report } from './helpers';

describe('parseCoverage', () => {
  it.each([
    ['jest-lcov.info', 'lcov', 13, 18, 72.22],
    ['jest-cobertura.xml', 'cobertura', 13, 18, 72.22],
    ['jest-clover.xml', 'clover', 13, 18, 72.22],
    ['c8-lcov.info', 'lcov', 42, 54, 77.77],
    ['c8-cobertura.xml', 'cobertura', 42, 54, 77.77],
    ['c8-clover.xml', 'clover', 42, 54, 77.77],
    ['coveragepy-cobertura.xml', 'cobertura', 17, 21, 80.95],
    ['jacoco.xml', 'jacoco', 22, 28, 78.57],
  ])('reads %s as %s: %i of %i lines, %d%%', (file, format, covered, total, percent) => {
    expect(parseCoverage(report('code-coverage', file), file)).toMatchObject({
      file,
      format,
      coveredLines: covered,
      totalLines: total,
      lineCoverage: percent,
    });
  });

  it.each([
    ['jest-lcov.info', 'src/math.js', 'src/strings.js'],
    ['jest-cobertura.xml', 'src/math.js', 'src/strings.js'],
    ['jest-clover.xml', '/tmp/gates-fixtures/js/src/math.js', '/tmp/gates-fixtures/js/src/strings.js'],
  ])('gives the same per-file numbers from %s as the other formats of one Jest run', (file, math, strings) => {
    expect(parseCoverage(report('code-coverage', file), file).files).toEqual([
      { path: math, coveredLines: 8, totalLines: 11, lineCoverage: 72.72 },
      { path: strings, coveredLines: 5, totalLines: 7, lineCoverage: 71.42 },
    ]);
  });

  it('reads JaCoCo per source file, package included, from the LINE counter', () => {
    expect(parseCoverage(report('code-coverage', 'jacoco.xml'), 'jacoco.xml').files).toEqual([
      { path: 'com/example/Ledger.java', coveredLines: 22, totalLines: 28, lineCoverage: 78.57 },
    ]);
  });

  it('keeps a coverage.py file with no executable lines, with no percentage', () => {
    const { files } = parseCoverage(report('code-coverage', 'coveragepy-cobertura.xml'), 'py.xml');
    expect(files).toEqual([
      { path: 'inventory/__init__.py', coveredLines: 0, totalLines: 0, lineCoverage: null },
      { path: 'inventory/stock.py', coveredLines: 17, totalLines: 21, lineCoverage: 80.95 },
    ]);
  });

  it('detects the format from the content, whatever the file is called', () => {
    expect(detectCoverageFormat(report('code-coverage', 'jest-lcov.info'), 'coverage.xml')).toBe('lcov');
    expect(detectCoverageFormat(report('code-coverage', 'jest-clover.xml'), 'cobertura.xml')).toBe('clover');
    expect(detectCoverageFormat(report('code-coverage', 'jacoco.xml'), 'lcov.info')).toBe('jacoco');
    expect(detectCoverageFormat(report('code-coverage', 'c8-cobertura.xml'), 'clover.xml')).toBe('cobertura');
  });

  it.each([
    [
      'LCOV',
      'lcov.info',
      'SF:a.js\nLF:10\nLH:100000\nend_of_record\n',
      '100000 lines covered for a.js, but only 10 lines to cover',
    ],
    [
      'Cobertura',
      'c.xml',
      '<coverage lines-valid="10" lines-covered="1000"/>',
      '1000 lines covered, but only 10 lines to cover',
    ],
    [
      'JaCoCo',
      'j.xml',
      '<report name="r"><package name="p"><sourcefile name="A.java"><counter type="LINE" missed="-90" covered="100"/></sourcefile></package></report>',
      '<counter> missed="-90" is not a count',
    ],
    [
      'LCOV past exact numbers',
      'big.info',
      `SF:a.js\nLF:${'9'.repeat(400)}\nLH:${'9'.repeat(400)}\nend_of_record\n`,
      'not whole numbers',
    ],
    [
      'Cobertura without its totals',
      'c.xml',
      '<coverage lines-covered="10"/>',
      '<coverage> lines-valid="" is not a count',
    ],
  ])('refuses %s counts no tool writes, which would lift the coverage gate', (_, file, content, detail) => {
    // A PR commits a "fixture" report the buildspec uploads: more lines covered than exist.
    expect(() => parseCoverage(content, file)).toThrow(ReportParseError);
    expect(() => parseCoverage(content, file)).toThrow(detail);
  });

  it('refuses a report of another kind, saying what it found', () => {
    expect(() => parseCoverage(report('junit', 'pytest.xml'), 'pytest.xml')).toThrow(
      'pytest.xml: not a coverage report: an XML document whose root is <testsuites>',
    );
    expect(() => parseCoverage('{"total": 80}', 'coverage-summary.json')).toThrow(ReportParseError);
  });
});

// The documents below are written here, after each format's documentation, for the cases no
// fixture run produced.
describe('parseCobertura', () => {
  it('counts only the class lines, not the same lines repeated under methods', () => {
    const xml = `<coverage><packages><package><classes><class filename="a.js">
      <methods><method><lines><line number="1" hits="1"/></line></lines></method></methods>
      <lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class></classes></package></packages></coverage>`;
    expect(() => parseCobertura(xml, 'bad.xml')).toThrow(ReportParseError);
    const good = xml.replace('</line></lines></method>', '</lines></method>');
    expect(parseCobertura(good, 'c.xml')).toMatchObject({ coveredLines: 1, totalLines: 2 });
  });

  it('merges the classes of one file (Java inner classes), a line covered by either', () => {
    const xml = `<coverage><packages><package><classes>
      <class filename="A.java"><lines><line number="3" hits="0"/><line number="4" hits="0"/></lines></class>
      <class filename="A.java"><lines><line number="4" hits="2"/></lines></class>
    </classes></package></packages></coverage>`;
    expect(parseCobertura(xml, 'c.xml').files).toEqual([
      { path: 'A.java', coveredLines: 1, totalLines: 2, lineCoverage: 50 },
    ]);
  });

  it('falls back to the root totals when no line is listed', () => {
    const xml = `<coverage lines-valid="200" lines-covered="150" line-rate="0.75"/>`;
    expect(parseCobertura(xml, 'c.xml')).toMatchObject({
      coveredLines: 150,
      totalLines: 200,
      lineCoverage: 75,
      files: [],
    });
  });
});

describe('parseClover', () => {
  it("does not count istanbul's falsecount (branches not taken) as a line that ran", () => {
    const file = parseCoverage(report('code-coverage', 'jest-clover.xml'), 'clover.xml').files[0];
    expect(file).toMatchObject({ coveredLines: 8, totalLines: 11 });
  });

  it('counts an OpenClover branch line without a count as run when either outcome was taken', () => {
    const xml = `<coverage clover="4.4.1"><project><package><file path="A.java">
      <line num="1" type="cond" truecount="1" falsecount="0"/><line num="2" type="cond" truecount="0" falsecount="0"/>
    </file></package></project><testproject><file path="ATest.java"><line num="1" count="0" type="stmt"/></file></testproject></coverage>`;
    expect(parseClover(xml, 'clover.xml')).toMatchObject({
      coveredLines: 1,
      totalLines: 2,
      files: [{ path: 'A.java' }],
    });
  });
});

describe('parseJaCoCo', () => {
  it('reads packages inside groups (multi-module reports)', () => {
    const xml = `<report name="all"><group name="a"><package name="p"><sourcefile name="A.java">
      <counter type="LINE" missed="1" covered="3"/></sourcefile></package></group>
      <counter type="LINE" missed="1" covered="3"/></report>`;
    expect(parseJaCoCo(xml, 'j.xml').files).toEqual([
      { path: 'p/A.java', coveredLines: 3, totalLines: 4, lineCoverage: 75 },
    ]);
  });

  it('falls back to the report counter when it was written without source files', () => {
    const xml = `<report name="r"><package name="p"><class name="p/A"><counter type="LINE" missed="5" covered="5"/></class></package><counter type="LINE" missed="5" covered="5"/></report>`;
    expect(parseJaCoCo(xml, 'j.xml')).toMatchObject({ coveredLines: 5, totalLines: 10, lineCoverage: 50, files: [] });
  });
});

describe('parseLcov', () => {
  it('merges records for the same file, and uses LF/LH when a record lists no lines', () => {
    const lcov = [
      'SF:a.js',
      'DA:1,1',
      'DA:2,0',
      'end_of_record',
      'SF:a.js',
      'DA:2,3',
      'end_of_record',
      'SF:b.js',
      'LF:10',
      'LH:4',
      'end_of_record',
    ];
    expect(parseLcov(lcov.join('\n'), 'lcov.info').files).toEqual([
      { path: 'a.js', coveredLines: 2, totalLines: 2, lineCoverage: 100 },
      { path: 'b.js', coveredLines: 4, totalLines: 10, lineCoverage: 40 },
    ]);
  });

  it('reads CRLF line endings and checksummed DA lines', () => {
    expect(parseLcov('TN:\r\nSF:a.c\r\nDA:1,0,abc\r\nDA:2,5,def\r\nend_of_record\r\n', 'l.info')).toMatchObject({
      coveredLines: 1,
      totalLines: 2,
    });
  });

  it.each([
    ['a record that never ends', 'SF:a.js\nDA:1,1\n', 'truncated: the record for a.js (line 1) never ends'],
    ['a malformed DA line', 'SF:a.js\nDA:x,1\nend_of_record\n', 'line 2: malformed DA: "DA:x,1"'],
    ['a record inside a record', 'SF:a.js\nSF:b.js\nend_of_record\n', 'line 2: SF: before the end_of_record of a.js'],
  ])('refuses %s', (_what, lcov, detail) => {
    expect(() => parseLcov(lcov, 'lcov.info')).toThrow(`lcov.info: ${detail}`);
  });
});
