import { AwsServiceError } from '../edge/aws-json';

/** Error codes the real Secrets Manager API returns for the same requests (all HTTP 400). */
export type SecretsManagerErrorCode =
  | 'InvalidParameterException'
  | 'InvalidRequestException'
  | 'ResourceExistsException'
  | 'ResourceNotFoundException'
  | 'ValidationException';

/**
 * A request the real service would refuse; the edge answers with `code`, which the SDK turns
 * into its exception class (`ResourceNotFoundException`, …). Messages never hold a secret value.
 */
export class SecretsManagerError extends AwsServiceError {
  constructor(
    readonly secretsManagerCode: SecretsManagerErrorCode,
    message: string,
    readonly secretId?: string,
  ) {
    super(secretsManagerCode, message, 400);
  }
}

/** Secrets Manager's own answer for a secret id that names no secret. */
export function secretNotFound(secretId: string): SecretsManagerError {
  return new SecretsManagerError(
    'ResourceNotFoundException',
    "Secrets Manager can't find the specified secret.",
    secretId,
  );
}

/**
 * The local secrets cannot be set up: two secret names share one environment variable, a
 * generate template is not a JSON object. Raised at start, never per request.
 */
export class SecretsConfigError extends Error {
  override readonly name = 'SecretsConfigError';
}

/**
 * The secrets file cannot be read or written, or is not the expected JSON. The message names
 * the file and the entry, never its content: a parser's message would quote secret text.
 */
export class SecretsFileError extends Error {
  override readonly name = 'SecretsFileError';

  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`local secrets file ${file}: ${reason}`, options);
  }
}

/** A secret local mode was asked for by name (CLI, demo) is in neither the file nor the environment. */
export class LocalSecretNotFoundError extends Error {
  override readonly name = 'LocalSecretNotFoundError';

  constructor(
    readonly secretName: string,
    readonly file: string,
  ) {
    super(`no secret "${secretName}" in ${file} (start local mode once to create it)`);
  }
}
