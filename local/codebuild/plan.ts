import { requiredString } from '../edge/aws-json';
import { DEFAULT_BUILDSPEC } from './buildspec-source';
import type { BuildPlan } from './context';
import { mergeVariables } from './environment';
import { invalidInput, projectNotFound } from './errors';
import type { ArtifactsSpec, EnvironmentVariable, EnvironmentVariableType, ProjectSpec } from './types';

/** Source types local mode clones as a git repository, unpacks from the local S3 store (S3), or does without (NO_SOURCE). */
const SOURCE_TYPES = new Set([
  'S3',
  'CODECOMMIT',
  'GITHUB',
  'GITHUB_ENTERPRISE',
  'GITLAB',
  'GITLAB_SELF_MANAGED',
  'BITBUCKET',
  'NO_SOURCE',
]);
const VARIABLE_TYPES = new Set<EnvironmentVariableType>(['PLAINTEXT', 'SECRETS_MANAGER', 'PARAMETER_STORE']);
const OVERRIDES = [
  'projectName',
  'sourceVersion',
  'sourceTypeOverride',
  'sourceLocationOverride',
  'environmentVariablesOverride',
  'buildspecOverride',
  'timeoutInMinutesOverride',
  'artifactsOverride',
];
/** Overrides that change nothing about how one local build runs (one machine, one image, no queue). */
const HARMLESS = [
  'idempotencyToken',
  'queuedTimeoutInMinutesOverride',
  'logsConfigOverride',
  'reportBuildStatusOverride',
  'buildStatusConfigOverride',
  'gitCloneDepthOverride',
  'computeTypeOverride',
  'serviceRoleOverride',
  'encryptionKeyOverride',
  'insecureSslOverride',
];
const MIN_TIMEOUT = 5;
const MAX_TIMEOUT = 2160;

/**
 * One StartBuild request applied to its project, checked as CodeBuild checks it. Overrides
 * local mode cannot honour (another image, secondary sources, CodePipeline sources) are
 * refused with InvalidInputException rather than ignored.
 */
export function planBuild(input: Record<string, unknown>, projects: ReadonlyMap<string, ProjectSpec>): BuildPlan {
  const name = requiredString(input, 'projectName');
  const project = projects.get(name);
  if (project === undefined) throw projectNotFound(name);
  refuseOverrides(input);
  const sourceType = optionalString(input, 'sourceTypeOverride') ?? project.source?.type ?? 'NO_SOURCE';
  if (!SOURCE_TYPES.has(sourceType)) {
    throw invalidInput(
      `Source type ${sourceType} is not supported by Gantry local mode (git repositories, S3 or NO_SOURCE)`,
    );
  }
  const locationOverride = optionalString(input, 'sourceLocationOverride');
  if (sourceType === 'NO_SOURCE' && locationOverride !== undefined) {
    throw invalidInput('sourceLocationOverride needs a source type: set sourceTypeOverride (GITHUB, CODECOMMIT, …)');
  }
  const sourceLocation = locationOverride ?? project.source?.location ?? '';
  if (sourceType !== 'NO_SOURCE' && sourceLocation === '') {
    throw invalidInput(`Project ${project.name} has no source location and StartBuild gave no sourceLocationOverride`);
  }
  const sourceVersion = optionalString(input, 'sourceVersion');
  const artifacts = artifactsOf(input.artifactsOverride, project);
  return {
    project,
    sourceType,
    sourceLocation,
    ...(sourceVersion === undefined ? {} : { sourceVersion }),
    buildspec: optionalString(input, 'buildspecOverride') ?? project.buildspec ?? DEFAULT_BUILDSPEC,
    variables: mergeVariables(project.environmentVariables, variablesOf(input.environmentVariablesOverride)),
    timeoutMinutes: timeoutOf(input.timeoutInMinutesOverride) ?? project.timeoutMinutes,
    ...(artifacts === undefined ? {} : { artifacts }),
  };
}

function refuseOverrides(input: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(input)) {
    if (OVERRIDES.includes(key) || HARMLESS.includes(key) || value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    throw invalidInput(`${key} is not supported by Gantry local mode`);
  }
}

function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidInput(`${name} must be a string`);
  return value;
}

function variablesOf(value: unknown): EnvironmentVariable[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidInput('environmentVariablesOverride must be a list');
  return value.map((raw: Record<string, unknown>) => {
    const type = (raw.type ?? 'PLAINTEXT') as EnvironmentVariableType;
    if (typeof raw.name !== 'string' || raw.name === '' || typeof raw.value !== 'string' || !VARIABLE_TYPES.has(type)) {
      throw invalidInput('Each environment variable override needs a name, a string value and a valid type');
    }
    return { name: raw.name, value: raw.value, type };
  });
}

function timeoutOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_TIMEOUT || value > MAX_TIMEOUT) {
    throw invalidInput(
      `1 validation error detected: Value '${String(value)}' at 'timeoutInMinutesOverride' failed to satisfy constraint: ` +
        `Member must have value between ${MIN_TIMEOUT} and ${MAX_TIMEOUT}`,
    );
  }
  return value;
}

function artifactsOf(value: unknown, project: ProjectSpec): ArtifactsSpec | undefined {
  if (value === undefined || value === null) return project.artifacts;
  const raw = value as Record<string, unknown>;
  if (raw.type === 'NO_ARTIFACTS') return undefined;
  if (raw.type !== 'S3') throw invalidInput(`Artifacts type ${String(raw.type)} is not supported by Gantry local mode`);
  const bucket = typeof raw.location === 'string' && raw.location !== '' ? raw.location : project.artifacts?.bucket;
  if (bucket === undefined) throw invalidInput('artifactsOverride of type S3 needs a location');
  const text = (key: string) => (typeof raw[key] === 'string' ? { [key]: raw[key] as string } : {});
  return {
    bucket,
    packaging: raw.packaging === 'ZIP' ? 'ZIP' : 'NONE',
    namespaceType: raw.namespaceType === 'BUILD_ID' ? 'BUILD_ID' : 'NONE',
    overrideArtifactName: raw.overrideArtifactName === true,
    ...text('path'),
    ...text('name'),
  };
}
