import { parseSarif, ReportParseError } from '../../../shared/gates';
import { report, sarifLog } from './helpers';

const result = (overrides: Record<string, unknown> = {}) => ({
  ruleId: 'R1',
  message: { text: 'something is wrong' },
  locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 3 } } }],
  ...overrides,
});

describe('parseSarif', () => {
  it('reads the ESLint formatter: levels as written, file URIs as paths', () => {
    const parsed = parseSarif(report('sarif', 'eslint.sarif'), 'eslint.sarif');
    expect(parsed.tools).toEqual(['ESLint']);
    expect(parsed.findings.map((f) => [f.ruleId, f.level, f.location])).toEqual([
      ['security/detect-child-process', 'warning', '/tmp/gates-fixtures/js/app/db.js:10'],
      ['security/detect-non-literal-fs-filename', 'warning', '/tmp/gates-fixtures/js/app/db.js:11'],
      ['security/detect-eval-with-expression', 'warning', '/tmp/gates-fixtures/js/app/db.js:16'],
      ['no-eval', 'error', '/tmp/gates-fixtures/js/app/db.js:16'],
      ['security/detect-unsafe-regex', 'warning', '/tmp/gates-fixtures/js/app/db.js:20'],
      ['no-unused-vars', 'warning', '/tmp/gates-fixtures/js/app/db.js:23'],
      ['eqeqeq', 'warning', '/tmp/gates-fixtures/js/app/db.js:24'],
      ['no-undef', 'error', '/tmp/gates-fixtures/js/app/db.js:25'],
    ]);
    expect(parsed.findings[7]).toEqual({
      tool: 'ESLint',
      ruleId: 'no-undef',
      level: 'error',
      securitySeverity: null,
      security: null,
      location: '/tmp/gates-fixtures/js/app/db.js:25',
      message: "'undefinedVariable' is not defined.",
    });
  });

  it('reads Flawfinder: relative URIs under a base id, notes and errors', () => {
    const parsed = parseSarif(report('sarif', 'flawfinder.sarif'), 'flawfinder.sarif');
    expect(parsed.findings.map((f) => `${f.level} ${f.ruleId} ${f.location}`)).toEqual([
      'note FF1013 copy.c:6',
      'note FF1013 copy.c:7',
      'error FF1001 copy.c:12',
      'error FF1015 copy.c:13',
      'error FF1044 copy.c:14',
      'error FF1016 copy.c:15',
    ]);
    expect(parsed.incompleteRuns).toEqual([]);
  });

  // The logs below are written here, after the SARIF 2.1.0 specification, for the rules that
  // the tools available offline do not exercise (no such tool writes security-severity).
  describe('level (§3.27.10)', () => {
    const rules = [
      { id: 'R1', defaultConfiguration: { level: 'error' } },
      { id: 'R2', defaultConfiguration: { level: 'note' } },
      { id: 'R3' },
    ];

    it.each([
      ['its own level first', result({ level: 'note' }), 'note'],
      ["its rule's default level, found by id", result(), 'error'],
      ["its rule's default level, found by index", result({ ruleId: undefined, ruleIndex: 1 }), 'note'],
      ['warning when the rule has no default', result({ ruleId: 'R3' }), 'warning'],
      ['warning when the rule is not described', result({ ruleId: 'unknown' }), 'warning'],
    ])('takes %s', (_what, r, level) => {
      const log = sarifLog([r], { tool: { driver: { name: 'T', rules } } });
      expect(parseSarif(log, 'l.sarif').findings[0]?.level).toBe(level);
    });

    it("takes a run's configuration override before the rule's default", () => {
      const log = sarifLog([result()], {
        tool: { driver: { name: 'T', rules } },
        invocations: [{ ruleConfigurationOverrides: [{ descriptor: { id: 'R1' }, configuration: { level: 'note' } }] }],
      });
      expect(parseSarif(log, 'l.sarif').findings[0]?.level).toBe('note');
    });

    it('finds a rule in the extension that rule.toolComponent names (as CodeQL packs do)', () => {
      const log = sarifLog([result({ ruleId: 'js/x', rule: { id: 'js/x', index: 0, toolComponent: { index: 0 } } })], {
        tool: {
          driver: { name: 'CodeQL' },
          extensions: [{ name: 'pack', rules: [{ id: 'js/x', defaultConfiguration: { level: 'error' } }] }],
        },
      });
      expect(parseSarif(log, 'l.sarif').findings[0]).toMatchObject({ ruleId: 'js/x', level: 'error' });
    });
  });

  describe('security-severity', () => {
    const rules = [{ id: 'R1', properties: { 'security-severity': '8.8' } }];

    it.each([
      ['from the rule', result(), 8.8, 'high'],
      ["from the result, before the rule's", result({ properties: { 'security-severity': '9.1' } }), 9.1, 'critical'],
      ['as a number', result({ properties: { 'security-severity': 9 } }), 9, 'critical'],
      ['below high', result({ properties: { 'security-severity': '6.9' } }), 6.9, null],
      ['not a score, so the rule decides', result({ properties: { 'security-severity': 'high' } }), 8.8, 'high'],
      ['out of range, so the rule decides', result({ properties: { 'security-severity': '11' } }), 8.8, 'high'],
    ])('is read %s', (_what, r, score, bucket) => {
      const log = sarifLog([r], { tool: { driver: { name: 'T', rules } } });
      expect(parseSarif(log, 'l.sarif').findings[0]).toMatchObject({ securitySeverity: score, security: bucket });
    });
  });

  it.each([
    ['of kind pass', result({ kind: 'pass' })],
    ['of kind informational', result({ kind: 'informational' })],
    ['with an accepted suppression', result({ suppressions: [{ kind: 'inSource' }] })],
    ['no longer in the code (baselineState absent)', result({ baselineState: 'absent' })],
  ])('does not count a result %s', (_what, r) => {
    expect(parseSarif(sarifLog([r]), 'l.sarif').findings).toEqual([]);
  });

  it('still counts a result whose suppression was rejected', () => {
    const r = result({ suppressions: [{ kind: 'external', status: 'rejected' }] });
    expect(parseSarif(sarifLog([r]), 'l.sarif').findings).toHaveLength(1);
  });

  it("fills a message from the rule's message strings and the result's arguments", () => {
    const r = result({ message: { id: 'default', arguments: ['userInput', 'db.query'] } });
    const log = sarifLog([r], {
      tool: {
        driver: { name: 'T', rules: [{ id: 'R1', messageStrings: { default: { text: '{0} flows into {1}.' } } }] },
      },
    });
    expect(parseSarif(log, 'l.sarif').findings[0]?.message).toBe('userInput flows into db.query.');
  });

  it('resolves a location through the artifact index and decodes it', () => {
    const r = result({
      locations: [{ physicalLocation: { artifactLocation: { index: 0 }, region: { startLine: 41 } } }],
    });
    const log = sarifLog([r], { artifacts: [{ location: { uri: 'file:///work/src/my%20db.ts' } }] });
    expect(parseSarif(log, 'l.sarif').findings[0]?.location).toBe('/work/src/my db.ts:41');
  });

  it('reads every run of a log', () => {
    const log = JSON.parse(sarifLog([result()])) as { runs: unknown[] };
    log.runs.push({ tool: { driver: { name: 'Second' } }, results: [result({ level: 'error' })] });
    const parsed = parseSarif(JSON.stringify(log), 'l.sarif');
    expect(parsed.tools).toEqual(['Synthetic', 'Second']);
    expect(parsed.findings.map((f) => `${f.tool}:${f.level}`)).toEqual(['Synthetic:warning', 'Second:error']);
  });

  it('lists a run whose tool did not complete', () => {
    const log = JSON.stringify({
      version: '2.1.0',
      runs: [
        { tool: { driver: { name: 'Crashed' } }, results: null },
        { tool: { driver: { name: 'Failed' } }, results: [], invocations: [{ executionSuccessful: false }] },
        { tool: { driver: { name: 'Fine' } }, results: [], invocations: [{ executionSuccessful: true }] },
      ],
    });
    expect(parseSarif(log, 'l.sarif').incompleteRuns).toEqual(['Crashed', 'Failed']);
  });

  it.each([
    ['not JSON', '<sarif/>', 'l.sarif: not valid JSON: '],
    [
      'another SARIF version',
      JSON.stringify({ version: '2.0.0', runs: [] }),
      'l.sarif: not a SARIF 2.1.0 log: at version: ',
    ],
    [
      'a level the spec does not define',
      sarifLog([result({ level: 'critical' })]),
      'not a SARIF 2.1.0 log: at runs.0.results.0.level: ',
    ],
    ['a result without a message', sarifLog([{ ruleId: 'R1' }]), 'at runs.0.results.0.message: '],
  ])('refuses %s, naming the file and the place', (_what, text, message) => {
    const parse = () => parseSarif(text, 'l.sarif');
    expect(parse).toThrow(ReportParseError);
    expect(parse).toThrow(message);
  });
});
