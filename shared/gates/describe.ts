import type { FailedTest, Finding } from './reports';

/** How many items a reason names before it says "and N more". */
export const MAX_NAMED = 5;

/**
 * `a, b, c, and 4 more`: names the first few distinct items so a reason stays one readable line.
 * `total` counts items beyond those listed (a report keeps only so many); a name listed twice
 * (jest-junit writes a suite that failed to run as two cases) is named once.
 */
export function nameSome(names: readonly string[], total: number = names.length): string {
  const distinct = [...new Set(names)];
  const shown = distinct.slice(0, MAX_NAMED);
  const rest = Math.max(0, total - names.length) + distinct.length - shown.length;
  return rest > 0 ? `${shown.join(', ')}, and ${rest} more` : shown.join(', ');
}

/** `1 test`, `3 tests`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** A percentage without trailing zeros: 72.4, 80, 66.66. */
export function percent(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}

/**
 * A failing test as a person looks for it: its class or suite, then its name (unless the name
 * already starts with it, as jest-junit's do), then its file.
 */
export function testLabel(test: FailedTest): string {
  const container = test.className ?? test.suite;
  const name = container !== null && !test.name.startsWith(container) ? `${container} › ${test.name}` : test.name;
  return test.file === null || name.includes(test.file) ? name : `${name} (${test.file})`;
}

/** `js/sql-injection at src/db.ts:41`. */
export function findingLabel(finding: Finding): string {
  const rule = finding.ruleId ?? `${finding.tool} finding`;
  return finding.location === null ? rule : `${rule} at ${finding.location}`;
}
