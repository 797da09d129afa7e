import { type AwsJsonService, epochSeconds, requiredString, unknownOperation } from '../edge/aws-json';
import { secretNotFound } from './errors';
import { listSecrets } from './list';
import { existingVersion, parsePut, rotated } from './put';
import { type LocalSecret, type SecretAddressing, secretArn, toLocalSecret, versionStages } from './secret';
import { ensureSecretsFile, persistRotation, type SecretSpec } from './store';
import { selectVersion } from './versions';

export interface SecretsManagerOptions extends SecretAddressing {
  readonly secrets: readonly SecretSpec[];
  /** The secrets file, e.g. `.gantry/secrets.json`: created at first start with demo values. */
  readonly file: string;
  /** Where overrides are read from (`GANTRY_SECRET_<NAME>`, see `secretEnvVar`). */
  readonly env: NodeJS.ProcessEnv;
  /** @default Date.now */
  readonly now?: () => number;
}

type Input = Readonly<Record<string, unknown>>;

/**
 * Secrets Manager for local mode, on the edge's JSON protocol: handlers read connection secrets
 * with the ordinary SDK client, AWSCURRENT and AWSPREVIOUS included, so a rotation can be tried
 * locally. Values live in one 0600 JSON file (created at first start with demo values, existing
 * values never replaced); an environment variable overrides a secret without touching the file.
 * No value is ever logged or put in an error message.
 * @throws SecretsConfigError when two secret names share an override variable or a template is not JSON.
 * @throws SecretsFileError when the file cannot be read, parsed or written.
 */
export class SecretsManagerService implements AwsJsonService {
  readonly name = 'Secrets Manager';
  readonly targetPrefix = 'secretsmanager';
  readonly signingName = 'secretsmanager';
  readonly errorNamespace = 'com.amazonaws.secretsmanager';
  private readonly secrets = new Map<string, LocalSecret>();
  private readonly now: () => number;
  private readonly operations: Readonly<Record<string, (input: Input) => unknown>> = {
    GetSecretValue: (input) => this.getSecretValue(input),
    DescribeSecret: (input) => this.describeSecret(input),
    ListSecrets: (input) => listSecrets([...this.secrets.values()], input),
    PutSecretValue: (input) => this.putSecretValue(input),
  };

  constructor(private readonly options: SecretsManagerOptions) {
    this.now = options.now ?? Date.now;
    const { secrets, modifiedAt } = ensureSecretsFile(options.file, options.secrets);
    for (const [name, stored] of Object.entries(secrets)) {
      const arn = secretArn(name, options);
      this.secrets.set(name, toLocalSecret(name, stored, { arn, modifiedAt, env: options.env }));
    }
  }

  /**
   * A secret's values, current first, then the previous one (a rotation's old value, which
   * functions still send until their cache of the secret expires), for the local runtime's own
   * checks; empty when there is no such secret.
   */
  valuesOf(name: string): string[] {
    const secret = this.secrets.get(name);
    return secret === undefined ? [] : [secret.current.value, ...(secret.previous ? [secret.previous.value] : [])];
  }

  handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (run === undefined) return Promise.reject(unknownOperation(this, operation));
    return Promise.resolve().then(() => run(input));
  }

  private getSecretValue(input: Input) {
    const secret = this.find(input);
    const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
    const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined;
    const { version, stage: label } = selectVersion(secret, versionId, stage);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.value,
      VersionStages: [label],
      CreatedDate: epochSeconds(version.createdAt),
    };
  }

  private describeSecret(input: Input) {
    const secret = this.find(input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: epochSeconds(secret.createdAt),
      LastChangedDate: epochSeconds(secret.lastChangedAt),
      VersionIdsToStages: versionStages(secret),
    };
  }

  /** PutSecretValue: the new value becomes AWSCURRENT, the old one AWSPREVIOUS, in memory and in the file. */
  private putSecretValue(input: Input) {
    const secret = this.find(input);
    const request = parsePut(secret, input);
    const answer = (stages: string[]) => ({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: request.versionId,
      VersionStages: stages,
    });
    const retried = existingVersion(secret, request);
    if (retried !== undefined) return answer(retried);
    persistRotation(this.options.file, secret.name, request.value, request.versionId);
    this.secrets.set(secret.name, rotated(secret, request, this.now()));
    return answer(['AWSCURRENT']);
  }

  /** The secret a SecretId names: its name, its ARN, or its ARN without the random suffix. */
  private find(input: Input): LocalSecret {
    const id = requiredString(input, 'SecretId');
    const byName = this.secrets.get(id);
    if (byName !== undefined) return byName;
    for (const secret of this.secrets.values()) {
      if (secret.arn === id || secret.arn.slice(0, -7) === id) return secret;
    }
    throw secretNotFound(id);
  }
}
