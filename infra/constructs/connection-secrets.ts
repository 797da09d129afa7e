import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Provider } from '../../events';
import { apiTokenSecretName } from '../../shared/secrets/secrets';
import { type ConnectionConfig, connectionSecretName } from '../config/schema';

export interface ConnectionSecretsProps {
  readonly connections: readonly ConnectionConfig[];
}

/** A connection as the receiver sees it: provider, secret, and the repositories mapped to it. */
export interface ConnectionSecret {
  readonly name: string;
  readonly provider: Provider;
  readonly secretName: string;
  readonly secret: ISecret;
  /** `<secretName>/api-token`: the provider API token, which the webhook receiver may not read. */
  readonly token: ISecret;
}

/**
 * Two Secrets Manager secrets per connection: `{"webhookSecret": …}` (generated), which the
 * internet-facing webhook receiver reads, and `<name>/api-token` (`{}` until an operator puts
 * `{"apiToken": …}` there), which only the functions that talk to the provider read. A
 * connection set up before 2026-12 may still hold its `apiToken` beside the webhook secret: those
 * functions read it there while the token's own secret holds none.
 */
export class ConnectionSecrets extends Construct {
  readonly connections: readonly ConnectionSecret[];

  constructor(scope: Construct, id: string, props: ConnectionSecretsProps) {
    super(scope, id);
    this.connections = props.connections.map((connection) => {
      const secretName = connectionSecretName(connection);
      const secret = new Secret(this, connection.name, {
        secretName,
        description: `Gantry ${connection.provider} connection "${connection.name}": the webhook secret (its API token is in ${apiTokenSecretName(secretName)})`,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({}),
          generateStringKey: 'webhookSecret',
          excludePunctuation: true,
          passwordLength: 40,
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The webhook secret is shared with the Git provider, so rotation is an operator runbook (README, "Rotating a webhook secret"); the receiver accepts AWSCURRENT and AWSPREVIOUS during the change.',
      });
      const token = new Secret(this, `${connection.name}Token`, {
        secretName: apiTokenSecretName(secretName),
        description: `Gantry ${connection.provider} connection "${connection.name}": the provider API token ({"apiToken": …})`,
        // No token in the template: an operator puts it (README, "Token scopes").
        secretStringValue: SecretValue.unsafePlainText('{}'),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(token).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The token is issued by the Git provider, which rotates it; an operator puts each new one (README, "Token scopes"), and Gantry\'s functions read it again within their secret cache\'s lifetime.',
      });
      return { name: connection.name, provider: connection.provider, secretName, secret, token };
    });
  }

  /** Lets `grantee` read the webhook secrets (never the API tokens) of every connection, or of those named. */
  grantRead(grantee: IGrantable, names?: readonly string[]): void {
    for (const { name, secret } of this.connections)
      if (names === undefined || names.includes(name)) secret.grantRead(grantee);
  }

  /**
   * Lets `grantee` read the API tokens of every connection, or of those named: the token's own
   * secret, and the connection secret where a connection set up before 2026-12 still keeps it.
   */
  grantReadTokens(grantee: IGrantable, names?: readonly string[]): void {
    for (const { name, secret, token } of this.connections)
      if (names === undefined || names.includes(name)) {
        token.grantRead(grantee);
        secret.grantRead(grantee);
      }
  }
}
