import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { BuildRecord, EnvironmentVariable } from './types';

/** The image name builds report (CODEBUILD_BUILD_IMAGE, BatchGetBuilds). */
export const LOCAL_IMAGE = 'gantry/local-build:latest';

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The local build image's PATH: this project's `node_modules/.bin` (the tools the image ships:
 * eslint, the SARIF formatter, c8 when installed), the node running local mode (with its npm),
 * the system's git and bash, then the usual system folders. Nothing is downloaded.
 */
export function imagePath(projectRoot: string): string {
  const tools = [join(projectRoot, 'node_modules', '.bin'), dirname(process.execPath)];
  const found = ['git', 'bash'].map(findOnHostPath).filter((p): p is string => p !== undefined);
  return [...new Set([...tools, ...found.map((p) => dirname(p)), ...SYSTEM_PATH])].join(delimiter);
}

/** Where the host finds `command` on its own PATH. */
export function findOnHostPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export interface BuildPaths {
  readonly buildDir: string;
  readonly srcDir: string;
  readonly homeDir: string;
  readonly tmpDir: string;
}

export interface EnvironmentInputs {
  readonly record: BuildRecord;
  readonly paths: BuildPaths;
  readonly path: string;
  readonly region: string;
  readonly logStream: string;
  /** When set, builds can call the local AWS APIs: AWS_ENDPOINT_URL and dummy credentials. */
  readonly edgeEndpoint?: string;
  /** The project's service role's credentials (local IAM); when absent, a well-known pair the edge refuses. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * A build's environment, built from nothing (the runtime's own variables, AWS credentials
 * included, never leak in): the image's variables, CodeBuild's own, then the build's variables
 * in CodeBuild's precedence (StartBuild override over project over buildspec; already merged in
 * `variables`). CodeBuild's reserved variables cannot be overridden.
 */
export function buildEnvironment(inputs: EnvironmentInputs, variables: Readonly<Record<string, string>>) {
  const { record, paths } = inputs;
  const image = { PATH: inputs.path, HOME: paths.homeDir, TMPDIR: paths.tmpDir, LANG: 'C.UTF-8', SHELL: '/bin/bash' };
  const reserved: Record<string, string> = {
    CODEBUILD_BUILD_ID: record.id,
    CODEBUILD_BUILD_ARN: record.arn,
    CODEBUILD_BUILD_NUMBER: String(record.buildNumber),
    CODEBUILD_BUILD_IMAGE: LOCAL_IMAGE,
    CODEBUILD_INITIATOR: record.initiator,
    CODEBUILD_SRC_DIR: paths.srcDir,
    CODEBUILD_SOURCE_REPO_URL: record.source.location,
    CODEBUILD_SOURCE_VERSION: record.sourceVersion ?? '',
    CODEBUILD_RESOLVED_SOURCE_VERSION: record.resolvedSourceVersion ?? '',
    CODEBUILD_START_TIME: String(record.startTime),
    CODEBUILD_LOG_PATH: inputs.logStream,
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_CI: 'true',
    AWS_REGION: inputs.region,
    AWS_DEFAULT_REGION: inputs.region,
    GANTRY_LOCAL_BUILD: '1',
  };
  const edge = inputs.edgeEndpoint === undefined ? {} : edgeVariables(inputs.edgeEndpoint, inputs.credentials);
  return { ...image, ...edge, ...variables, ...reserved };
}

function edgeVariables(endpoint: string, credentials: EnvironmentInputs['credentials']): Record<string, string> {
  const { accessKeyId, secretAccessKey } = credentials ?? {
    accessKeyId: 'gantry-local',
    secretAccessKey: 'gantry-local',
  };
  return { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey };
}

/**
 * Merges variables by name, later lists winning: pass them lowest precedence first
 * (buildspec, project, StartBuild override).
 */
export function mergeVariables(...lists: readonly (readonly EnvironmentVariable[])[]): EnvironmentVariable[] {
  const byName = new Map<string, EnvironmentVariable>();
  for (const list of lists) for (const v of list) byName.set(v.name, v);
  return [...byName.values()];
}
