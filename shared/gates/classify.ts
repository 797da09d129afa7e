import type { ReportKind } from './errors';
import { inputHead, inputText, MAX_REPORT_BYTES } from './input';

/**
 * Telling reports from the other files a build leaves, by content (names vary from tool to
 * tool). A file that is a report must never be passed over: a gate fails closed only when it
 * sees no report at all, so a report it skipped would have its failures ignored.
 */

/** A name that says "SARIF log": such a file that does not read as one is reported, never skipped. */
const SARIF_NAME = /\.sarif(\.json)?$/i;

/** How much of a file tells whether it could be a report at all. */
export const REPORT_SNIFF_BYTES = 64 * 1024;

/**
 * Whether a file's first bytes (any encoding a byte order mark announces) could start a report:
 * markup, a JSON object, an LCOV record, or a name that says SARIF. Only such files are read whole.
 */
export function mayBeReport(name: string, head: Uint8Array): boolean {
  // The whole head, not its first bytes: XML and JSON may start with any amount of white space.
  const text = inputHead(head, REPORT_SNIFF_BYTES);
  // Nothing but white space as far as the head goes: what follows may be a report.
  if (text === '') return head.length >= REPORT_SNIFF_BYTES;
  return text.startsWith('<') || text.startsWith('{') || /^(TN|SF):/m.test(text) || SARIF_NAME.test(name);
}

/**
 * Which kind of report a whole file is: told by its root element (after any declaration,
 * comments or doctype, however long), by a JSON object that is a SARIF 2.1.0 log (its keys in any
 * order), or by LCOV's records. `unreadable`: named as a SARIF log but not one.
 */
export function classifyReport(name: string, content: Uint8Array): ReportKind | 'unreadable' | undefined {
  // Parsers refuse a report over the limit with its size; one that could be a report goes to them.
  const text = inputText(content.length > MAX_REPORT_BYTES ? content.subarray(0, REPORT_SNIFF_BYTES) : content);
  const start = text.trimStart();
  if (start.startsWith('{')) {
    // Too large to parse: its head says whether it is a log (the parser then refuses its size).
    if (content.length > MAX_REPORT_BYTES)
      return SARIF_NAME.test(name) || /"runs"\s*:|sarif/i.test(start.slice(0, REPORT_SNIFF_BYTES))
        ? 'sarif'
        : undefined;
    return isSarifLog(start) ? 'sarif' : SARIF_NAME.test(name) ? 'unreadable' : undefined;
  }
  if (/^(TN|SF):/m.test(start.slice(0, REPORT_SNIFF_BYTES)) && /end_of_record/.test(start)) return 'coverage';
  const root = rootElement(start);
  if (root === 'testsuites' || root === 'testsuite') return 'junit';
  if (root === 'coverage' || root === 'report') return 'coverage';
  // An XML prologue that does not end (or ends where XML cannot): it may hide a report's root.
  if (root === null) return 'unreadable';
  return SARIF_NAME.test(name) ? 'unreadable' : undefined;
}

/** Why a file `classifyReport` called unreadable fails the gates, in words that say what to fix. */
export function unreadableReason(name: string): string {
  return SARIF_NAME.test(name)
    ? `${name} is named as a SARIF log but is not one`
    : `${name} starts an XML prologue that never ends, so the report it may be cannot be read`;
}

function isSarifLog(text: string): boolean {
  try {
    const log = JSON.parse(text) as { version?: unknown; runs?: unknown };
    return log !== null && log.version === '2.1.0' && Array.isArray(log.runs);
  } catch {
    return false;
  }
}

/**
 * The local name of a document's root element, past its prolog; undefined for what is not
 * markup; null for a prolog (declaration, comment, doctype) that never ends.
 */
export function rootElement(text: string): string | undefined | null {
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text.charAt(at))) at++;
    if (text.startsWith('<?', at)) at = after(text, '?>', at);
    else if (text.startsWith('<!--', at)) at = after(text, '-->', at);
    else if (text.startsWith('<!DOCTYPE', at) || text.startsWith('<!doctype', at)) at = afterDoctype(text, at);
    else break;
    if (at < 0) return null;
  }
  const name = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(at, at + 256))?.[1];
  return name?.slice(name.indexOf(':') + 1);
}

function after(text: string, end: string, from: number): number {
  const i = text.indexOf(end, from);
  return i < 0 ? -1 : i + end.length;
}

/**
 * Past `<!DOCTYPE …>`: quoted literals (which may hold `>` or `]`) and an internal subset
 * (`[…]`, whose declarations, comments and literals may hold either) skipped as XML reads them.
 */
function afterDoctype(text: string, from: number): number {
  let at = from + '<!DOCTYPE'.length;
  let subset = false;
  while (at < text.length) {
    const c = text.charAt(at);
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, at + 1);
      if (end < 0) return -1;
      at = end + 1;
    } else if (subset && text.startsWith('<!--', at)) {
      at = after(text, '-->', at);
      if (at < 0) return -1;
    } else if (c === '[' && !subset) {
      subset = true;
      at++;
    } else if (c === ']' && subset) {
      subset = false;
      at++;
    } else if (c === '>' && !subset) {
      return at + 1;
    } else at++;
  }
  return -1;
}
