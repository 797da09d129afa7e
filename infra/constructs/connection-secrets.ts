import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Provider } from '../../events';
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
}

/**
 * One Secrets Manager secret per connection, holding `{"webhookSecret": …}` (generated) and,
 * once an operator adds it, the provider `apiToken` used to report commit status.
 */
export class ConnectionSecrets extends Construct {
  readonly connections: readonly ConnectionSecret[];

  constructor(scope: Construct, id: string, props: ConnectionSecretsProps) {
    super(scope, id);
    this.connections = props.connections.map((connection) => {
      const secretName = connectionSecretName(connection);
      const secret = new Secret(this, connection.name, {
        secretName,
        description: `Gantry ${connection.provider} connection "${connection.name}": webhook secret and API token`,
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
      return { name: connection.name, provider: connection.provider, secretName, secret };
    });
  }

  /** Lets `grantee` read every connection secret, or only those of the connections named. */
  grantRead(grantee: IGrantable, names?: readonly string[]): void {
    for (const { name, secret } of this.connections)
      if (names === undefined || names.includes(name)) secret.grantRead(grantee);
  }
}
