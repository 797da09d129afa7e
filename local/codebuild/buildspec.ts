import { parse } from 'yaml';
import { BuildspecError } from './errors';
import { asBool, asMap, asOptionalString, asScalarMap, asStringList, checkKeys, type Yaml } from './yaml-shape';

export const COMMAND_PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type CommandPhase = (typeof COMMAND_PHASES)[number];

export interface PhaseSpec {
  readonly commands: readonly string[];
  readonly finally: readonly string[];
  readonly onFailure: 'ABORT' | 'CONTINUE';
}

/** A set of files the build hands on: artifacts or one report group's files. */
export interface FileSetSpec {
  readonly files: readonly string[];
  readonly baseDirectory?: string;
  readonly discardPaths: boolean;
  readonly excludePaths: readonly string[];
}

export interface ReportSpec extends FileSetSpec {
  readonly fileFormat: string;
}

/** A version 0.2 buildspec, checked as CodeBuild checks it before the INSTALL phase. */
export interface Buildspec {
  readonly env: {
    readonly variables: Readonly<Record<string, string>>;
    /** `VAR: secret-id[:json-key[:version-stage[:version-id]]]` */
    readonly secretsManager: Readonly<Record<string, string>>;
    readonly exportedVariables: readonly string[];
    readonly shell: 'bash' | '/bin/sh';
  };
  readonly phases: Readonly<Partial<Record<CommandPhase, PhaseSpec>>>;
  readonly artifacts?: FileSetSpec & { readonly name?: string };
  readonly reports: Readonly<Record<string, ReportSpec>>;
  /** What the buildspec asks for that local mode accepts but does not do (cache, runtime-versions), for the log. */
  readonly notes: readonly string[];
}

const TEST_FORMATS = ['JUNITXML', 'CUCUMBERJSON', 'TESTNGXML', 'VISUALSTUDIOTRX', 'NUNITXML', 'NUNIT3XML'];
const COVERAGE_FORMATS = ['CLOVERXML', 'COBERTURAXML', 'JACOCOXML', 'SIMPLECOV'];

/** Whether a report file format is a test format or a code coverage one. */
export function reportType(fileFormat: string): 'TEST' | 'CODE_COVERAGE' {
  return COVERAGE_FORMATS.includes(fileFormat) ? 'CODE_COVERAGE' : 'TEST';
}

/**
 * Parses and checks a buildspec. Version 0.2 only; what CodeBuild would reject, and what local
 * mode cannot run faithfully (`run-as`, batch builds, Parameter Store, retries), is a
 * `BuildspecError` (YAML_FILE_ERROR), so the build fails in DOWNLOAD_SOURCE as on CodeBuild.
 */
export function parseBuildspec(text: string): Buildspec {
  let doc: Yaml;
  try {
    doc = parse(text) as Yaml;
  } catch (error) {
    throw new BuildspecError(`buildspec is not valid YAML: ${(error as Error).message}`);
  }
  const root = asMap(doc, 'buildspec');
  checkKeys(root, 'buildspec', ['version', 'env', 'phases', 'artifacts', 'reports', 'cache', 'proxy'], {
    'run-as': 'run-as (local builds run as the current user)',
    batch: 'batch builds',
  });
  checkVersion(root.version);
  const notes: string[] = [];
  if (root.cache !== undefined) notes.push('cache: ignored locally (each build starts from a fresh clone)');
  if (root.proxy !== undefined) notes.push('proxy: ignored locally (builds have no proxy)');
  return {
    env: parseEnv(root.env, notes),
    phases: parsePhases(root.phases, notes),
    ...(root.artifacts === undefined ? {} : { artifacts: parseArtifacts(root.artifacts) }),
    reports: parseReports(root.reports),
    notes,
  };
}

function checkVersion(version: Yaml): void {
  if (version === undefined) throw new BuildspecError('missing required key "version"');
  if (String(version) === '0.1') {
    throw new BuildspecError('buildspec version 0.1 is not supported by Gantry local mode; use version 0.2');
  }
  if (String(version) !== '0.2') throw new BuildspecError(`invalid buildspec version "${String(version)}"`);
}

function parseEnv(value: Yaml, notes: string[]): Buildspec['env'] {
  if (value === undefined || value === null) {
    return { variables: {}, secretsManager: {}, exportedVariables: [], shell: 'bash' };
  }
  const env = asMap(value, 'env');
  checkKeys(env, 'env', ['variables', 'secrets-manager', 'exported-variables', 'shell', 'git-credential-helper'], {
    'parameter-store': 'env.parameter-store (local mode has no Systems Manager Parameter Store)',
  });
  if (env['git-credential-helper'] !== undefined) notes.push('env.git-credential-helper: not needed for local clones');
  const shell = asOptionalString(env.shell, 'env.shell') ?? 'bash';
  if (shell !== 'bash' && shell !== '/bin/sh') {
    throw new BuildspecError(`env.shell "${shell}" is not available on the local Linux image (bash, /bin/sh)`);
  }
  return {
    variables: asScalarMap(env.variables, 'env.variables'),
    secretsManager: asScalarMap(env['secrets-manager'], 'env.secrets-manager'),
    exportedVariables: asStringList(env['exported-variables'], 'env.exported-variables'),
    shell,
  };
}

function parsePhases(value: Yaml, notes: string[]): Buildspec['phases'] {
  if (value === undefined || value === null) return {};
  const phases = asMap(value, 'phases');
  checkKeys(phases, 'phases', COMMAND_PHASES, {});
  const parsed: Partial<Record<CommandPhase, PhaseSpec>> = {};
  for (const name of COMMAND_PHASES) {
    if (phases[name] !== undefined && phases[name] !== null) parsed[name] = parsePhase(phases[name], name, notes);
  }
  return parsed;
}

function parsePhase(value: Yaml, name: CommandPhase, notes: string[]): PhaseSpec {
  const where = `phases.${name}`;
  const phase = asMap(value, where);
  const allowed = ['commands', 'finally', 'on-failure', ...(name === 'install' ? ['runtime-versions'] : [])];
  checkKeys(phase, where, allowed, { 'run-as': `${where}.run-as (local builds run as the current user)` });
  if (phase['runtime-versions'] !== undefined) {
    notes.push(`phases.install.runtime-versions: not installed locally; the build uses the system's tools`);
  }
  const onFailure = asOptionalString(phase['on-failure'], `${where}.on-failure`) ?? 'ABORT';
  if (onFailure.startsWith('RETRY')) {
    throw new BuildspecError(`${where}.on-failure ${onFailure}: retries are not supported by Gantry local mode`);
  }
  if (onFailure !== 'ABORT' && onFailure !== 'CONTINUE') {
    throw new BuildspecError(`${where}.on-failure must be ABORT or CONTINUE, found "${onFailure}"`);
  }
  return {
    commands: asStringList(phase.commands, `${where}.commands`),
    finally: asStringList(phase.finally, `${where}.finally`),
    onFailure,
  };
}

function parseFileSet(value: Yaml, where: string, extra: readonly string[]): FileSetSpec & { rest: Yaml } {
  const set = asMap(value, where);
  checkKeys(set, where, ['files', 'base-directory', 'discard-paths', 'exclude-paths', ...extra], {
    'secondary-artifacts': 'secondary artifacts',
    's3-prefix': 's3-prefix',
  });
  const files = asStringList(set.files, `${where}.files`);
  if (files.length === 0) throw new BuildspecError(`${where}.files must list at least one path`);
  const baseDirectory = asOptionalString(set['base-directory'], `${where}.base-directory`);
  return {
    files,
    ...(baseDirectory === undefined ? {} : { baseDirectory }),
    discardPaths: asBool(set['discard-paths'], `${where}.discard-paths`),
    excludePaths: asStringList(set['exclude-paths'], `${where}.exclude-paths`),
    rest: set,
  };
}

function parseArtifacts(value: Yaml): FileSetSpec & { name?: string } {
  const { rest, ...set } = parseFileSet(value, 'artifacts', ['name', 'enable-symlinks']);
  const name = asOptionalString(asMap(rest, 'artifacts').name, 'artifacts.name');
  return { ...set, ...(name === undefined ? {} : { name }) };
}

function parseReports(value: Yaml): Record<string, ReportSpec> {
  if (value === undefined || value === null) return {};
  const reports: Record<string, ReportSpec> = {};
  for (const [group, spec] of Object.entries(asMap(value, 'reports'))) {
    const { rest, ...set } = parseFileSet(spec, `reports.${group}`, ['file-format']);
    const fileFormat =
      asOptionalString(asMap(rest, group)['file-format'], `reports.${group}.file-format`) ?? 'JUNITXML';
    if (![...TEST_FORMATS, ...COVERAGE_FORMATS].includes(fileFormat)) {
      throw new BuildspecError(`reports.${group}.file-format "${fileFormat}" is not a CodeBuild report format`);
    }
    reports[group] = { ...set, fileFormat };
  }
  return reports;
}
