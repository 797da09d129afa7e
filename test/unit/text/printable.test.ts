import { printable, printableJson, printableLines } from '../../../shared/text/printable';

const ESC = '\u001b';
const BEL = '\u0007';

describe('printable', () => {
  it.each([
    [
      'a cursor move and a line erase',
      `${ESC}[25A${ESC}[2K  change "fix typo"`,
      '\\x1b[25A\\x1b[2K  change "fix typo"',
    ],
    ['a line break posing as a field', 'fix\n  environment  staging', 'fix\\n  environment  staging'],
    ['a carriage return that overwrites the line', 'evil\r  good', 'evil\\r  good'],
    ['a tab', 'a\tb', 'a\\tb'],
    [
      'an OSC 8 link',
      `${ESC}]8;;https://evil.example${BEL}docs${ESC}]8;;${BEL}`,
      '\\x1b]8;;https://evil.example\\x07docs\\x1b]8;;\\x07',
    ],
    ['an OSC 52 clipboard write', `${ESC}]52;c;Y3VybCBldmlsIHwgc2g=${BEL}`, '\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07'],
    ['a C1 control sequence introducer and DEL', 'a\u009b2Jb\u007f', 'a\\x9b2Jb\\x7f'],
    ['a right-to-left override', 'txt.\u202eexe', 'txt.\\u202eexe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200f\u061c', '\\u2066a\\u2069\\u200f\\u061c'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['a NUL', 'a\u0000b', 'a\\x00b'],
    ['a zero-width space after a branch name', 'main\u200b', 'main\\u200b'],
    [
      'zero-width joiners, a word joiner, a soft hyphen and a BOM',
      'a\u200cb\u200dc\u2060d\u00ade\ufeff',
      'a\\u200cb\\u200dc\\u2060d\\xade\\ufeff',
    ],
    ['a typed escape, which must not pass for one', 'fake \\x1b[2K and \\n', 'fake \\\\x1b[2K and \\\\n'],
    ['a typed backslash before a typed escape', '\\\\x1b', '\\\\\\\\x1b'],
    ['a typed backslash before an escaped character', '\\\u001b and \\\u200b', '\\\\\\x1b and \\\\\\u200b'],
  ])('shows %s as escapes', (_what, text, shown) => {
    expect(printable(text)).toBe(shown);
  });

  it('leaves words, punctuation and other scripts as they are', () => {
    const text = 'Fix “caché” → 修正 <!channel> *bold* C:\\Program Files\\gantry 🚀';
    expect(printable(text)).toBe(text);
  });
});

describe('printableJson', () => {
  it('shows what JSON leaves raw as its own escapes, and parses back to the value', () => {
    const value = { branch: 'main\u200b', note: 'txt.\u202eexe \u001b[2K', path: 'C:\\new\\x1b' };
    const line = printableJson(value);
    expect(line).toBe(String.raw`{"branch":"main\u200b","note":"txt.\u202eexe \u001b[2K","path":"C:\\new\\x1b"}`);
    expect(JSON.parse(line)).toEqual(value);
  });

  it('keeps an indent’s own lines, and escapes a C1 control and a bidi override inside strings (the CLI’s --json)', () => {
    const value = { commits: [{ message: 'fix\u009b2J \u202eexe\nsecond line\u2028' }] };
    const shown = printableJson(value, 2);
    expect(shown.split('\n')).toEqual([
      '{',
      '  "commits": [',
      '    {',
      String.raw`      "message": "fix\u009b2J \u202eexe\nsecond line\u2028"`,
      '    }',
      '  ]',
      '}',
    ]);
    expect(JSON.parse(shown)).toEqual(value);
  });
});

describe('printableLines', () => {
  it('breaks at line breaks only, and escapes what would move the cursor within a line', () => {
    expect(printableLines(`step 1\r\nstep 2\n${ESC}[1A${ESC}[2Kall passed\rPASS\n`)).toEqual([
      'step 1',
      'step 2',
      '\\x1b[1A\\x1b[2Kall passed\\rPASS',
    ]);
  });

  it('writes tabs as the spaces they would move over', () => {
    expect(printableLines('a\tb\n\tc')).toEqual(['a       b', '        c']);
  });

  it('escapes a line separator rather than breaking at it', () => {
    expect(printableLines('a\u2028b')).toEqual(['a\\u2028b']);
  });
});
