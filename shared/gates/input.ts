import { type ReportKind, ReportParseError } from './errors';

/** A report as handed to a parser: the file's bytes, or text already decoded. */
export type ReportInput = string | Uint8Array;

/**
 * The largest report the parsers accept, in bytes (or UTF-16 code units for text). Real tools
 * write reports far smaller than this for one module; the bound keeps a hostile or runaway file
 * from exhausting a Lambda's memory before any gate is evaluated.
 */
export const MAX_REPORT_BYTES = 32 * 1024 * 1024;

const CHUNK = 1024 * 1024;

/** Refuses input over `MAX_REPORT_BYTES` before any parsing work is done. */
export function assertReportSize(input: ReportInput, file: string, kind: ReportKind): void {
  assertReportLength(input.length, file, kind);
}

/** Refuses a report by its length alone, so a reader can check a file's size before reading it. */
export function assertReportLength(length: number, file: string, kind: ReportKind): void {
  if (length > MAX_REPORT_BYTES) {
    const mib = (length / 1024 / 1024).toFixed(1);
    throw new ReportParseError(
      file,
      kind,
      `report is ${mib} MiB, larger than the ${MAX_REPORT_BYTES / 1024 / 1024} MiB limit`,
    );
  }
}

/** The encoding a byte order mark announces; UTF-8 otherwise, as XML and JSON default to. */
function encodingOf(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/**
 * Decodes the input one megabyte at a time, so a streaming parser never needs the whole
 * document as one string. Invalid bytes become U+FFFD rather than errors: a report with one bad
 * byte in a test's output is still a report.
 */
export function* textChunks(input: ReportInput): Generator<string> {
  if (typeof input === 'string') {
    for (let i = 0; i < input.length; i += CHUNK) yield input.slice(i, i + CHUNK);
    return;
  }
  const decoder = new TextDecoder(encodingOf(input));
  for (let i = 0; i < input.length; i += CHUNK) {
    yield decoder.decode(input.subarray(i, i + CHUNK), { stream: i + CHUNK < input.length });
  }
}

/** The input as one string (for JSON and line formats, which are bounded by the size check). */
export function inputText(input: ReportInput): string {
  let text = '';
  for (const chunk of textChunks(input)) text += chunk;
  return text;
}

/** The first characters of the input that are not whitespace, for format detection. */
export function inputHead(input: ReportInput, length = 4096): string {
  const slice = typeof input === 'string' ? input.slice(0, length * 2) : input.subarray(0, length * 2);
  const first = textChunks(slice).next();
  return first.done ? '' : first.value.trimStart().slice(0, length);
}
