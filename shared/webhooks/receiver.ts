import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AuditSink } from '../audit/audit';
import { RecordWindow } from '../audit/window';
import { awsAuditLedger } from '../audit/wiring';
import { documentClient } from '../aws/clients';
import { EventBridgeBus } from '../bus/event-bus';
import type { Observability } from '../observability';
import { SecretsManagerSecretSource } from '../secrets/secrets';
import { ConnectionDirectory } from './connections';
import { SqsDeadLetterSink } from './dead-letters';
import { DynamoDbDeliveryStore } from './deliveries';
import type { ReceiverConfig } from './env';
import { REJECTION_WINDOW_MS, type ReceiverDeps } from './receive';

/** Claims older than this belong to an attempt that died; well past the function's timeout. */
const CLAIM_LEASE_MS = 60_000;

/** Wires the receiver's ports to AWS: one SDK client per service, built once per cold start. */
export function awsReceiverDeps(config: ReceiverConfig, { logger }: Observability, audit?: AuditSink): ReceiverDeps {
  let sqs: Promise<SQSClient> | undefined;
  const sqsClient = () => {
    sqs ??= import('@aws-sdk/client-sqs').then(({ SQSClient }) => new SQSClient({}));
    return sqs;
  };
  return {
    connections: new ConnectionDirectory(config.connections),
    secrets: new SecretsManagerSecretSource(new SecretsManagerClient({}), config.secretCacheMs),
    deliveries: new DynamoDbDeliveryStore(documentClient(new DynamoDBClient({})), config.deliveriesTable),
    bus: new EventBridgeBus(new EventBridgeClient({}), config.eventBus),
    deadLetters: new SqsDeadLetterSink(sqsClient, config.deadLetterQueueUrl),
    audit: audit ?? awsAuditLedger(),
    logger,
    clock: () => new Date(),
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      deliveryTtlSeconds: config.deliveryTtlSeconds,
      replayWindowSeconds: config.replayWindowSeconds,
      previousSecretMs: config.previousSecretMs,
      claimLeaseMs: CLAIM_LEASE_MS,
    },
    rejections: new RecordWindow(REJECTION_WINDOW_MS),
  };
}
