import type { ReportInput } from './input';
import type { FailedTest, TestReport } from './reports';
import { checkRoot, localName, visitXml, type XmlElement } from './xml';

/** How many failing cases a report keeps for naming in reasons; the counts stay exact past it. */
export const MAX_LISTED_FAILURES = 1000;

const MAX_MESSAGE = 300;
/** Text read from a `<failure>` body when it has no message attribute (jest-junit writes none). */
const MAX_BODY = 2048;
/** Node's reporter writes `classname="test"` on every case: it names nothing. */
const GENERIC_CLASSNAMES = new Set(['test']);

type Outcome = 'passed' | 'skipped' | FailedTest['outcome'];

interface Suite {
  readonly name: string | null;
  readonly file: string | null;
  readonly depth: number;
}

interface OpenCase {
  readonly element: XmlElement;
  readonly depth: number;
  readonly suite: Suite | undefined;
  outcome: Outcome;
  message: string;
  /** The body of the failure or error being read, while it is open and has no message attribute. */
  body: string | null;
}

interface Tally {
  total: number;
  failed: number;
  errored: number;
  skipped: number;
  readonly failures: FailedTest[];
}

/**
 * Reads a JUnit XML report as the tools that matter write it: jest-junit, Node's
 * `--test-reporter=junit` (cases outside any suite, todo cases that fail), Maven Surefire (one
 * suite per file, flaky reruns that passed), pytest (one line, xfail as skipped). Counts come from
 * the `<testcase>` elements, not from suite attributes, which tools fill in differently; an
 * `<error>` or `<failure>` that is a suite's own child (a suite that failed to load, with no case
 * to carry it) counts as one errored or failed case of that suite, never as nothing.
 * A skipped case does not fail even when it also carries a failure (Node's todo tests);
 * otherwise a failure outweighs an error (pytest's failure followed by a teardown error).
 */
export function parseJUnit(input: ReportInput, file: string): TestReport {
  const tally: Tally = { total: 0, failed: 0, errored: 0, skipped: 0, failures: [] };
  const suites: Suite[] = [];
  let current: OpenCase | null = null;

  visitXml(input, file, 'junit', {
    open(element, depth) {
      const name = localName(element.name);
      if (depth === 1) checkRoot(file, 'junit', name, ['testsuites', 'testsuite'], 'a JUnit report');
      if (current !== null) {
        if (depth === current.depth + 1) readOutcome(current, name, element);
      } else if (name === 'testsuite') {
        suites.push(suiteOf(element, depth, suites.at(-1)));
      } else if (name === 'testcase') {
        current = { element, depth, suite: suites.at(-1), outcome: 'passed', message: '', body: null };
      } else if ((name === 'error' || name === 'failure') && suites.at(-1)?.depth === depth - 1) {
        current = suiteFailure(element, name, depth, suites.at(-1));
      }
    },
    close(name, depth) {
      if (current !== null && depth === current.depth + 1) finishBody(current);
      else if (current !== null && depth === current.depth) {
        finishBody(current);
        count(tally, current);
        current = null;
      } else if (localName(name) === 'testsuite' && suites.at(-1)?.depth === depth) suites.pop();
    },
    text(text) {
      if (current?.body != null && current.body.length < MAX_BODY) current.body += text;
    },
  });
  const { failures, ...counts } = tally;
  return { file, ...counts, failures };
}

function suiteOf(element: XmlElement, depth: number, parent: Suite | undefined): Suite {
  return {
    name: nonEmpty(element.attributes.name),
    file: nonEmpty(element.attributes.file) ?? parent?.file ?? null,
    depth,
  };
}

/** A suite's own `<error>`/`<failure>`, read as a case of that suite named after it. */
function suiteFailure(
  element: XmlElement,
  outcome: 'error' | 'failure',
  depth: number,
  suite: Suite | undefined,
): OpenCase {
  const message = oneLine(element.attributes.message ?? '');
  const asCase = { name: 'testcase', attributes: { name: `${suite?.name ?? 'test suite'} (the suite itself)` } };
  return { element: asCase, depth, suite, outcome, message, body: message === '' ? '' : null };
}

/** Which outcome wins when a case carries several: skipped > failure > error > passed. */
const RANK: Record<Outcome, number> = { passed: 0, error: 1, failure: 2, skipped: 3 };

function outcomeOf(child: string): Outcome | null {
  return child === 'skipped' || child === 'failure' || child === 'error' ? child : null;
}

/** Applies one child of a `<testcase>` to its outcome, reading the message of a deciding failure. */
function readOutcome(testCase: OpenCase, child: string, element: XmlElement): void {
  const outcome = outcomeOf(child);
  if (outcome === null || RANK[outcome] <= RANK[testCase.outcome]) return;
  testCase.outcome = outcome;
  testCase.message = oneLine(element.attributes.message ?? '');
  testCase.body = testCase.message === '' && outcome !== 'skipped' ? '' : null;
}

function finishBody(testCase: OpenCase): void {
  if (testCase.body !== null) testCase.message = oneLine(testCase.body);
  testCase.body = null;
}

function count(tally: Tally, testCase: OpenCase): void {
  tally.total += 1;
  if (testCase.outcome === 'skipped') tally.skipped += 1;
  if (testCase.outcome === 'failure') tally.failed += 1;
  if (testCase.outcome === 'error') tally.errored += 1;
  if (testCase.outcome !== 'failure' && testCase.outcome !== 'error') return;
  if (tally.failures.length < MAX_LISTED_FAILURES) tally.failures.push(failedTest(testCase, testCase.outcome));
}

function failedTest(testCase: OpenCase, outcome: FailedTest['outcome']): FailedTest {
  const { attributes } = testCase.element;
  const name = attributes.name ?? '';
  const className = nonEmpty(attributes.classname);
  return {
    suite: testCase.suite?.name ?? null,
    className: className === null || className === name || GENERIC_CLASSNAMES.has(className) ? null : className,
    name,
    outcome,
    message: testCase.message,
    file: nonEmpty(attributes.file) ?? testCase.suite?.file ?? null,
  };
}

/** The first non-blank line, trimmed and shortened: messages are for naming, not for reading whole. */
function oneLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const trimmed = line.trim().replace(/\s+/g, ' ');
  return trimmed.length > MAX_MESSAGE ? `${trimmed.slice(0, MAX_MESSAGE)}…` : trimmed;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value;
}
