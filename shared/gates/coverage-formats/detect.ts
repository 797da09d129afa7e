import { ReportParseError } from '../errors';
import { inputHead, type ReportInput } from '../input';
import type { CoverageFormat } from '../reports';

/** The first element's name and the text of its start tag, skipping the prolog (an internal DTD subset too). */
function rootTag(head: string): { name: string; tag: string } | null {
  const match = head.match(
    /^(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\]\s*)?>\s*)*<([A-Za-z_][\w.:-]*)([^>]*)>?/,
  );
  if (match === null) return null;
  return { name: match[1] ?? '', tag: match[2] ?? '' };
}

/**
 * Tells the coverage format from the content, whatever the file is called: LCOV is text whose
 * first record line is `TN:` or `SF:`; JaCoCo's root is `<report>`; Clover and Cobertura both use
 * `<coverage>`, but only Clover's carries a `clover` (or `generated`) attribute.
 */
export function detectCoverageFormat(input: ReportInput, file: string): CoverageFormat {
  const head = inputHead(input);
  if (/^(?:TN|SF|VER):/.test(head)) return 'lcov';
  const root = rootTag(head);
  if (root?.name === 'report') return 'jacoco';
  if (root?.name === 'coverage') return /\s(?:clover|generated)=/.test(root.tag) ? 'clover' : 'cobertura';
  const what = root === null ? 'neither XML nor LCOV' : `an XML document whose root is <${root.name}>`;
  throw new ReportParseError(
    file,
    'coverage',
    `not a coverage report: ${what} (expected Cobertura, JaCoCo or Clover XML, or LCOV)`,
  );
}
