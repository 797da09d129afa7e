import { SaxesParser } from 'saxes';
import { type ReportKind, ReportParseError } from './errors';
import { assertReportSize, type ReportInput, textChunks } from './input';

/** One element as it opens: its name as written (prefix included) and its attributes. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** What a report parser does with the elements of a document, in document order. */
export interface XmlVisitor {
  /**
   * @param depth 1 for the root element.
   * @param path local names (see `localName`) of the open elements, root first, this one last;
   *   the array is reused, so read it during the call only.
   */
  open(element: XmlElement, depth: number, path: readonly string[]): void;
  close?(name: string, depth: number): void;
  /** Character data (text and CDATA) directly or indirectly inside the open elements. */
  text?(text: string): void;
}

/** Deeper than any report a tool writes; deep enough nesting is only ever an attack. */
const MAX_DEPTH = 256;

/**
 * Streams a report through a conformant, non-validating XML parser. Documents must be
 * well-formed (a truncated report is an error, not a smaller report). A DOCTYPE may name an
 * external DTD, as JaCoCo's and Cobertura's do, but the DTD is never fetched, and a DOCTYPE with
 * an internal subset is refused outright: that is where entity bombs and external entities live,
 * and no test or coverage tool writes one.
 */
export function visitXml(input: ReportInput, file: string, kind: ReportKind, visitor: XmlVisitor): void {
  assertReportSize(input, file, kind);
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
  const path: string[] = [];
  parser.on('doctype', (doctype) => {
    if (doctype.includes('[')) throw new ReportParseError(file, kind, 'refusing a DOCTYPE that declares entities');
  });
  parser.on('opentag', (tag) => {
    if (path.length >= MAX_DEPTH) throw new ReportParseError(file, kind, `elements nested deeper than ${MAX_DEPTH}`);
    path.push(localName(tag.name));
    visitor.open({ name: tag.name, attributes: tag.attributes }, path.length, path);
  });
  parser.on('closetag', (tag) => {
    visitor.close?.(tag.name, path.length);
    path.pop();
  });
  if (visitor.text !== undefined) {
    parser.on('text', visitor.text);
    parser.on('cdata', visitor.text);
  }
  try {
    for (const chunk of textChunks(input)) parser.write(chunk);
    parser.close();
  } catch (error) {
    if (error instanceof ReportParseError) throw error;
    throw new ReportParseError(file, kind, `not well-formed XML: ${shortMessage(error)}`, { cause: error });
  }
}

/** A parser message cut to one short line: it may quote the offending input. */
function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n', 1)[0] ?? message;
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

/** Throws unless the root element is one the format allows: a report of another kind is not an empty one. */
export function checkRoot(
  file: string,
  kind: ReportKind,
  root: string | undefined,
  allowed: readonly string[],
  format: string,
): void {
  if (root === undefined || !allowed.includes(root))
    throw new ReportParseError(file, kind, `not ${format}: the root element is <${root ?? ''}>`);
}

/** The name without its namespace prefix, so `ns:testsuite` reads as `testsuite`. */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** A non-negative integer attribute, or undefined when absent or not a number. */
/** A count a coverage total rests on: present and a whole number, or the report is refused. */
export function countAttribute(element: XmlElement, name: string, file: string): number {
  const value = intAttribute(element, name);
  if (value === undefined)
    throw new ReportParseError(
      file,
      'coverage',
      `<${element.name}> ${name}="${(element.attributes[name] ?? '').slice(0, 40)}" is not a count`,
    );
  return value;
}

export function intAttribute(element: XmlElement, name: string): number | undefined {
  const raw = element.attributes[name];
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number.parseInt(raw, 10);
}
