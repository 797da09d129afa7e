import * as z from 'zod/mini';
import { intFromEnv, jsonFromEnv, readEnv } from '../config/env';
import { ConnectionSchema } from './connections';

/** Environment variable names the WebhookIngress construct sets and the receiver reads. */
export const RECEIVER_ENV = {
  deliveriesTable: 'DELIVERIES_TABLE_NAME',
  eventBus: 'EVENT_BUS_NAME',
  deadLetterQueueUrl: 'WEBHOOK_DLQ_URL',
  connections: 'WEBHOOK_CONNECTIONS',
  maxBodyBytes: 'WEBHOOK_MAX_BODY_BYTES',
  deliveryTtlDays: 'DELIVERY_TTL_DAYS',
  replayWindowDays: 'REPLAY_WINDOW_DAYS',
  previousSecretHours: 'PREVIOUS_SECRET_HOURS',
  secretCacheSeconds: 'SECRET_CACHE_TTL_SECONDS',
} as const;

/** 512 KiB: a dead letter keeps the raw body, and must fit SQS's 1 MiB message limit. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

const ReceiverEnvSchema = z.object({
  [RECEIVER_ENV.deliveriesTable]: z.string().check(z.minLength(1)),
  [RECEIVER_ENV.eventBus]: z.string().check(z.minLength(1)),
  [RECEIVER_ENV.deadLetterQueueUrl]: z.string().check(z.minLength(1)),
  [RECEIVER_ENV.connections]: jsonFromEnv(z.array(ConnectionSchema)),
  [RECEIVER_ENV.maxBodyBytes]: intFromEnv(DEFAULT_MAX_BODY_BYTES),
  // Execution names (derived from delivery ids) must stay unique for 90 days in Step Functions.
  [RECEIVER_ENV.deliveryTtlDays]: intFromEnv(90),
  // Signed content is remembered longer than delivery ids: the ledger keeps deliveries 400 days.
  [RECEIVER_ENV.replayWindowDays]: intFromEnv(400),
  // After a rotation the previous secret verifies deliveries this long, then never again.
  [RECEIVER_ENV.previousSecretHours]: intFromEnv(24),
  [RECEIVER_ENV.secretCacheSeconds]: intFromEnv(300),
});

export interface ReceiverConfig {
  readonly deliveriesTable: string;
  readonly eventBus: string;
  readonly deadLetterQueueUrl: string;
  readonly connections: z.infer<typeof ConnectionSchema>[];
  readonly maxBodyBytes: number;
  readonly deliveryTtlSeconds: number;
  readonly replayWindowSeconds: number;
  readonly previousSecretMs: number;
  readonly secretCacheMs: number;
}

/** The receiver's configuration, read once at cold start; throws `ConfigurationError` when incomplete. */
export function loadReceiverConfig(env: NodeJS.ProcessEnv = process.env): ReceiverConfig {
  const e = readEnv(ReceiverEnvSchema, env);
  return {
    deliveriesTable: e[RECEIVER_ENV.deliveriesTable],
    eventBus: e[RECEIVER_ENV.eventBus],
    deadLetterQueueUrl: e[RECEIVER_ENV.deadLetterQueueUrl],
    connections: e[RECEIVER_ENV.connections],
    maxBodyBytes: e[RECEIVER_ENV.maxBodyBytes],
    deliveryTtlSeconds: e[RECEIVER_ENV.deliveryTtlDays] * 86_400,
    previousSecretMs: e[RECEIVER_ENV.previousSecretHours] * 3_600_000,
    replayWindowSeconds: Math.max(e[RECEIVER_ENV.replayWindowDays], e[RECEIVER_ENV.deliveryTtlDays]) * 86_400,
    secretCacheMs: e[RECEIVER_ENV.secretCacheSeconds] * 1000,
  };
}
