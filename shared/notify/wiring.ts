import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { documentClient } from '../aws/clients';
import type { Observability } from '../observability';
import { DynamoDbNotificationLedger } from './dynamodb';
import { loadNotifyConfig } from './env';
import type { NotifyDeps } from './notify';
import { SecretsManagerWebhookUrls, SnsSender, TargetSender, WebhookSender } from './senders';

/** The notifier's ports on AWS: SDK clients built once per cold start. */
export function awsNotifyDeps({ logger }: Observability, env: NodeJS.ProcessEnv = process.env): NotifyDeps {
  const config = loadNotifyConfig(env);
  const ledger = new DynamoDbNotificationLedger(documentClient(new DynamoDBClient({})), config.table);
  const urls = new SecretsManagerWebhookUrls(new SecretsManagerClient({}), config.secretCacheMs);
  return {
    targets: config.targets,
    ledger,
    rates: ledger,
    sender: new TargetSender(new WebhookSender(urls), new SnsSender(new SNSClient({}))),
    logger,
    clock: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
