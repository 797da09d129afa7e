import { clientError } from './errors';

/**
 * Resolves a Secrets Manager secret id (name or ARN) to its SecretString, as the build's project
 * (CodeBuild asks with the project's service role, so its IAM decides); may throw.
 */
export type SecretResolver = (secretId: string, projectName: string) => Promise<string>;

/** `secret-id[:json-key[:version-stage[:version-id]]]`, as buildspecs and project variables reference secrets. */
export interface SecretReference {
  readonly secretId: string;
  readonly jsonKey?: string;
  readonly versionStage?: string;
  readonly versionId?: string;
}

/** An ARN has seven colon-separated parts of its own (`arn:aws:secretsmanager:region:account:secret:name`). */
const ARN_PARTS = 7;

export function parseSecretReference(reference: string): SecretReference {
  const parts = reference.split(':');
  const idParts = reference.startsWith('arn:') ? ARN_PARTS : 1;
  const [jsonKey, versionStage, versionId] = parts.slice(idParts).map((p) => (p === '' ? undefined : p));
  return {
    secretId: parts.slice(0, idParts).join(':'),
    ...(jsonKey === undefined ? {} : { jsonKey }),
    ...(versionStage === undefined ? {} : { versionStage }),
    ...(versionId === undefined ? {} : { versionId }),
  };
}

/**
 * The value a reference names: the secret's string, or one key of it when the string is JSON.
 * Local mode keeps only each secret's current value, so a version other than AWSCURRENT is refused.
 * @throws PhaseFailure (CLIENT_ERROR) naming the variable, never the value.
 */
export async function resolveSecret(
  variable: string,
  reference: string,
  resolver: SecretResolver,
  projectName: string,
): Promise<string> {
  const ref = parseSecretReference(reference);
  if (ref.versionId !== undefined || (ref.versionStage !== undefined && ref.versionStage !== 'AWSCURRENT')) {
    throw clientError(
      `Secrets Manager: ${variable} asks for a secret version local mode does not keep (AWSCURRENT only)`,
    );
  }
  let text: string;
  try {
    text = await resolver(ref.secretId, projectName);
  } catch (error) {
    // Secrets Manager's own answer (AccessDeniedException naming the role, ResourceNotFoundException)
    // says what to fix, as CodeBuild shows it; it never holds the value.
    const answer = error instanceof Error && /Exception$/.test(error.name) ? `: ${error.name}: ${error.message}` : '';
    throw clientError(`Secrets Manager: cannot resolve ${variable} from secret ${ref.secretId}${answer}`, error);
  }
  return ref.jsonKey === undefined ? text : jsonField(variable, ref.secretId, text, ref.jsonKey);
}

function jsonField(variable: string, secretId: string, text: string, key: string): string {
  let value: unknown;
  try {
    value = (JSON.parse(text) as Record<string, unknown>)[key];
  } catch {
    throw clientError(`Secrets Manager: ${variable}: secret ${secretId} is not JSON, so it has no key ${key}`);
  }
  if (value === undefined) throw clientError(`Secrets Manager: ${variable}: secret ${secretId} has no key ${key}`);
  return typeof value === 'string' ? value : JSON.stringify(value);
}
