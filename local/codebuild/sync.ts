import { AwsServiceError } from '../edge/aws-json';
import type { BuildDescription } from './describe';
import { BuildSyncError } from './errors';
import type { LocalCodeBuild } from './service';

/** What `startBuild.sync` hands the state machine: the build, in Step Functions' PascalCase. */
export interface SyncBuildResult {
  readonly Build: Record<string, unknown>;
}

/** The initiator CodeBuild records for builds Step Functions starts. */
const INITIATOR = 'states/local-stepfunctions';

/**
 * `arn:aws:states:::codebuild:startBuild.sync` semantics: StartBuild from the task's
 * parameters (PascalCase, as Step Functions passes them), then wait for the build to complete.
 * Resolves with `{ Build }` (PascalCase keys, times in epoch milliseconds) when it SUCCEEDED;
 * rejects with `States.TaskFailed` (cause: the `{"Build": …}` JSON) when it ended otherwise, or
 * `CodeBuild.<exception>` when StartBuild is refused. Aborting `signal` stops the build and,
 * once its processes are gone, rejects with the signal's reason.
 */
export async function startBuildSync(
  codebuild: LocalCodeBuild,
  params: Record<string, unknown>,
  signal: AbortSignal,
): Promise<SyncBuildResult> {
  signal.throwIfAborted();
  let started: BuildDescription;
  try {
    started = codebuild.startBuild(camelKeys(params) as Record<string, unknown>, INITIATOR);
  } catch (error) {
    if (error instanceof AwsServiceError) {
      const cause = `${error.message} (Service: AWSCodeBuild; Status Code: ${error.status}; Error Code: ${error.code})`;
      throw new BuildSyncError(`CodeBuild.${error.code}`, cause);
    }
    throw error;
  }
  const stop = () => codebuild.stopBuild(started.id);
  signal.addEventListener('abort', stop, { once: true });
  try {
    const build = await codebuild.waitForBuild(started.id);
    signal.throwIfAborted();
    const result = { Build: pascalBuild(build) };
    if (build.buildStatus !== 'SUCCEEDED') {
      throw new BuildSyncError('States.TaskFailed', JSON.stringify(result), build.buildStatus);
    }
    return result;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** Step Functions' parameters to the API's own names: `ProjectName` → `projectName`, at every depth. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camelKeys(v)]),
  );
}

/** The build as Step Functions' optimized integration shows it: PascalCase keys, times in epoch milliseconds. */
export function pascalBuild(build: BuildDescription): Record<string, unknown> {
  return pascalKeys(build) as Record<string, unknown>;
}

function pascalKeys(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => pascalKeys(v));
  if (typeof value === 'number' && (key === 'startTime' || key === 'endTime')) return Math.round(value * 1000);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascalKeys(v, k)]),
  );
}
