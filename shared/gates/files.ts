import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Gates, GatesSchema } from '../../events';
import { parseCoverage } from './coverage-formats';
import { GatesConfigError, type ReportKind, ReportReadError } from './errors';
import { assertReportLength, type ReportInput } from './input';
import { parseJUnit } from './junit';
import type { GateReports } from './reports';
import { parseSarif } from './sarif/parse';

/** The report files of one build, by kind, as a build leaves them on disk. */
export interface GateFiles {
  /** JUnit XML files, or folders of them (Surefire writes one file per test class). */
  readonly junit: readonly string[];
  readonly coverage: readonly string[];
  readonly sarif: readonly string[];
}

/**
 * Reads and parses every report a build left on disk: the file-system side of the gates, for the
 * CLI and for the local build runner. Throws `ReportReadError` for a file that cannot be read and
 * `ReportParseError` for one that cannot be parsed; never evaluates a partial set.
 */
export async function readGateReports(files: GateFiles): Promise<GateReports> {
  const junitFiles: string[] = [];
  for (const path of files.junit) junitFiles.push(...(await junitFilesIn(path)));
  return {
    junit: await readEach(junitFiles, 'junit', parseJUnit),
    coverage: await readEach(files.coverage, 'coverage', parseCoverage),
    sarif: await readEach(files.sarif, 'sarif', parseSarif),
  };
}

/** One file at a time, so that only one report's bytes are held at once. */
async function readEach<R>(
  paths: readonly string[],
  kind: ReportKind,
  parse: (input: ReportInput, file: string) => R,
): Promise<R[]> {
  const reports: R[] = [];
  for (const path of paths) reports.push(parse(await readReport(path, kind), path));
  return reports;
}

/** A folder stands for the `.xml` files directly in it, in name order. */
async function junitFilesIn(path: string): Promise<string[]> {
  const info = await statOf(path);
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((name) => name.endsWith('.xml')).sort();
  if (names.length === 0) throw new ReportReadError(path, 'no .xml files in this folder');
  return names.map((name) => join(path, name));
}

/** The file's bytes, refusing anything but a regular file of bounded size before reading it. */
async function readReport(path: string, kind: ReportKind): Promise<Buffer> {
  const info = await statOf(path);
  if (!info.isFile()) throw new ReportReadError(path, 'not a regular file');
  assertReportLength(info.size, path, kind);
  try {
    return await readFile(path);
  } catch (error) {
    throw new ReportReadError(path, errorCode(error), { cause: error });
  }
}

async function statOf(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    throw new ReportReadError(path, errorCode(error), { cause: error });
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'error';
}

/** Reads a gates config file (JSON matching `GatesSchema`). */
export async function readGatesConfig(path: string): Promise<Gates> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ReportReadError(path, errorCode(error), { cause: error });
  }
  return parseGatesConfig(text, path);
}

/** Validates a gates config, naming the first wrong field. */
export function parseGatesConfig(text: string, source: string): Gates {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 160) : 'invalid';
    throw new GatesConfigError(source, `not valid JSON: ${detail}`, { cause: error });
  }
  const parsed = GatesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : '(root)';
  throw new GatesConfigError(source, `invalid gates config at ${path}: ${issue?.message ?? 'invalid'}`);
}

/**
 * The gates that apply when no config is given: the reports handed over must be clean. Tests
 * must pass when a JUnit report is given, and no error-level finding is allowed when a SARIF log
 * is; coverage has no threshold that would suit every project, so it is only measured.
 */
export function impliedGates(files: GateFiles): Gates {
  return {
    ...(files.junit.length > 0 ? { requireTestsPassed: true } : {}),
    ...(files.sarif.length > 0 ? { maxFindings: { error: 0 } } : {}),
  };
}
