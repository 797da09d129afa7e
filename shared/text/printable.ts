/**
 * What untrusted text (a commit message, a branch name, a test's name, a build log line) may not
 * carry to a person as it is: C0 controls (tab and line breaks too), DEL and C1 controls, which
 * move a terminal's cursor, erase, recolour, set the clipboard (OSC 52) or hide a link (OSC 8);
 * the Unicode line and paragraph separators, which break a line where no `\n` shows; the bidi
 * embeddings, overrides, isolates and marks, which reorder the characters around them; and the
 * characters that show nothing (soft hyphen, zero-width spaces and joiners, word joiner and
 * invisible operators, byte order mark), which make `main\u200b` read as `main`. A backslash that
 * would start one of these escapes, or stands before a character that is escaped, is escaped too,
 * so a sender who types `\x1b` shows `\\x1b`: what reads as an escape always stands for the character.
 */
const UNSHOWN =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]';
const UNPRINTABLE = new RegExp(`${UNSHOWN}|\\\\(?=[\\\\nrtxu]|${UNSHOWN})`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/** `\n`, `\x1b`, `\u202e`: the character as a person can read it, taking no action. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}

/**
 * `text` safe to show on one line of a terminal, a chat message or an e-mail: every character
 * that would act rather than show is written as its escape (`\n`, `\x1b`, `\u202e`), so what a
 * sender wrote reads as written and cannot pass for lines or colours of Gantry's own.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, visible);
}

/**
 * `value` as one line of JSON that still parses to it, safe to show: JSON escapes the C0 controls
 * itself, and what it leaves raw that would act or show nothing is written as JSON's own `\uXXXX`.
 * (Its backslashes are always JSON's escapes, so none is doubled: the line can be copied as it is.)
 * With `indent`, as many lines as JSON.stringify would write, each as safe.
 */
export function printableJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    new RegExp(UNSHOWN, 'g'),
    // JSON writes no raw line break inside a string: one outside is the indent's own.
    (char) => (char === '\n' ? char : `\\u${hex(char.charCodeAt(0), 4)}`),
  );
}

const TAB_STOP = 8;

/** Tabs as the spaces a terminal would move over, counted from the start of the line. */
function expandTabs(line: string): string {
  let out = '';
  for (const char of line) out += char === '\t' ? ' '.repeat(TAB_STOP - (out.length % TAB_STOP)) : char;
  return out;
}

/**
 * Multi-line text (a build log's events) as lines safe to show one under another: it breaks at
 * `\n` and `\r\n` only, tabs become spaces, and anything else that would move the cursor (a lone
 * `\r`, an escape sequence, a line separator) is escaped as `printable` escapes it. A final line
 * break ends the last line rather than adding an empty one.
 */
export function printableLines(text: string): string[] {
  return text
    .replace(/\r?\n$/, '')
    .split(/\r?\n/)
    .map((line) => printable(expandTabs(line)));
}
