import { parseCoverage, parseJUnit, parseSarif, type ReportInput } from '../../shared/gates';

/** Each report parser EvaluateGates runs on what a build uploaded. */
export const PARSERS: Record<string, (input: ReportInput, file: string) => unknown> = {
  junit: parseJUnit,
  coverage: parseCoverage,
  sarif: parseSarif,
};

export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE testsuites [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuites><testsuite name="&lol9;"><testcase name="&lol9;"/></testsuite></testsuites>`;

export const EXTERNAL_ENTITY = `<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<coverage lines-valid="1" lines-covered="1"><sources><source>&xxe;</source></sources></coverage>`;

/** 50 MiB of tag soup: over the 32 MiB limit, refused on its size alone. */
export function oversized(): Buffer {
  return Buffer.alloc(50 * 1024 * 1024, '<x');
}

/** Junk under the size limit that a parser must reject cleanly (not hang or run out of stack). */
export function junkUnderLimit(): [what: string, kind: string, input: ReportInput][] {
  const tags = Buffer.alloc(30 * 1024 * 1024, '<x');
  const bytes = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7919 + 13) % 256));
  const deep = '<testsuites>'.repeat(200_000);
  return [
    ['tag soup', 'junit', tags],
    ['tag soup', 'coverage', tags],
    ['tag soup', 'sarif', tags],
    ['binary', 'junit', bytes],
    ['binary', 'coverage', bytes],
    ['binary', 'sarif', bytes],
    ['elements nested 200,000 deep', 'junit', deep],
  ];
}
