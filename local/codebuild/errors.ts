import { AwsServiceError } from '../edge/aws-json';
import type { PhaseContext } from './types';

/** Error codes the real CodeBuild API returns for the requests local mode refuses. */
export type CodeBuildErrorCode = 'InvalidInputException' | 'ResourceNotFoundException';

/**
 * A CodeBuild request the real service would refuse. It is an `AwsServiceError`, so the edge
 * answers with the code and the SDK raises the matching exception class.
 */
export class CodeBuildError extends AwsServiceError {
  constructor(
    readonly codeBuildCode: CodeBuildErrorCode,
    message: string,
  ) {
    super(codeBuildCode, message);
  }
}

export function invalidInput(message: string): CodeBuildError {
  return new CodeBuildError('InvalidInputException', message);
}

export function projectNotFound(name: string): CodeBuildError {
  return new CodeBuildError('ResourceNotFoundException', `Project cannot be found: ${name}`);
}

export function buildNotFound(id: string): CodeBuildError {
  return new CodeBuildError('ResourceNotFoundException', `Build ${id} does not exist`);
}

/**
 * Why a phase failed, as CodeBuild records it in the phase's `contexts` (`COMMAND_EXECUTION_ERROR`,
 * `YAML_FILE_ERROR`, `CLIENT_ERROR`, …). `status` is FAULT for local mode's own failures.
 */
export class PhaseFailure extends Error {
  override readonly name: string = 'PhaseFailure';

  constructor(
    readonly context: PhaseContext,
    readonly status: 'FAILED' | 'FAULT' = 'FAILED',
    options?: { cause?: unknown },
  ) {
    super(`${context.statusCode}: ${context.message}`, options);
  }
}

/** A buildspec CodeBuild would refuse, or one using what local mode cannot run faithfully. */
export class BuildspecError extends PhaseFailure {
  override readonly name = 'BuildspecError';

  constructor(message: string) {
    super({ statusCode: 'YAML_FILE_ERROR', message });
  }
}

/** A failure CodeBuild reports as CLIENT_ERROR: the source, a secret or the artifacts could not be had. */
export function clientError(message: string, cause?: unknown): PhaseFailure {
  return new PhaseFailure({ statusCode: 'CLIENT_ERROR', message }, 'FAILED', { cause });
}

/**
 * How `startBuildSync` fails, shaped as the local Step Functions engine reads task failures:
 * `name` is the States error (matched by Retry and Catch), `message` the Cause. A build that ends
 * other than SUCCEEDED is `States.TaskFailed` with the `{"Build": …}` JSON as the cause; a
 * refused StartBuild is `CodeBuild.<exception>`.
 */
export class BuildSyncError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
    readonly buildStatus?: string,
  ) {
    super(causeText);
    this.name = error;
  }
}
