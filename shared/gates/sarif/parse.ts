import { ReportParseError } from '../errors';
import { assertReportSize, inputText, type ReportInput } from '../input';
import { type Finding, type SarifReport, securityBucket } from '../reports';
import { isDismissed, levelOf, messageOf, ruleOf, securitySeverityOf } from './rules';
import { type SarifLog, SarifLogSchema, type SarifResult, type SarifRun } from './schema';

const MAX_MESSAGE = 300;

/**
 * Reads a SARIF 2.1.0 log, every run of it, into the findings the gates count: results of kind
 * `fail` (the default) that are neither suppressed nor absent from the current code. A run whose
 * tool did not complete (`results: null`, or an unsuccessful invocation) is listed in
 * `incompleteRuns`, so that "no findings" is never mistaken for "nothing found".
 */
export function parseSarif(input: ReportInput, file: string): SarifReport {
  const log = readLog(input, file);
  const findings: Finding[] = [];
  const incompleteRuns: string[] = [];
  for (const run of log.runs) {
    const tool = run.tool.driver.name;
    if (run.results === null || run.invocations?.some((i) => i.executionSuccessful === false))
      incompleteRuns.push(tool);
    for (const result of run.results ?? []) {
      if ((result.kind ?? 'fail') === 'fail' && !isDismissed(result)) findings.push(findingOf(run, result, tool));
    }
  }
  return { file, tools: log.runs.map((run) => run.tool.driver.name), findings, incompleteRuns };
}

function readLog(input: ReportInput, file: string): SarifLog {
  assertReportSize(input, file, 'sarif');
  let json: unknown;
  try {
    json = JSON.parse(inputText(input).replace(/^\uFEFF/, ''));
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 160) : 'invalid';
    throw new ReportParseError(file, 'sarif', `not valid JSON: ${detail}`, { cause: error });
  }
  const parsed = SarifLogSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : '(root)';
  throw new ReportParseError(file, 'sarif', `not a SARIF 2.1.0 log: at ${path}: ${issue?.message ?? 'invalid'}`);
}

function findingOf(run: SarifRun, result: SarifResult, tool: string): Finding {
  const rule = ruleOf(run, result);
  const securitySeverity = securitySeverityOf(result, rule);
  return {
    tool,
    ruleId: result.ruleId ?? result.rule?.id ?? rule?.id ?? null,
    level: levelOf(run, result, rule),
    securitySeverity,
    security: securityBucket(securitySeverity),
    location: locationOf(run, result),
    message: shorten(messageOf(result, rule)),
  };
}

/** `path:line` of the result's first physical location; an artifact index resolves through `run.artifacts`. */
function locationOf(run: SarifRun, result: SarifResult): string | null {
  const physical = result.locations?.[0]?.physicalLocation;
  const artifact = physical?.artifactLocation;
  const uri =
    artifact?.uri ?? (artifact?.index === undefined ? undefined : run.artifacts?.[artifact.index]?.location?.uri);
  if (uri === undefined) return null;
  const line = physical?.region?.startLine;
  return line === undefined ? displayPath(uri) : `${displayPath(uri)}:${line}`;
}

/** A URI as a person reads a path: `file:///src/a%20b.ts` → `/src/a b.ts`; others decoded when they can be. */
function displayPath(uri: string): string {
  const path = /^file:\/\//i.test(uri) ? uri.replace(/^file:\/\/[^/]*/i, '') : uri;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function shorten(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}
