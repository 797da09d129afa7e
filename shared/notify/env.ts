import * as z from 'zod/mini';
import { intFromEnv, jsonFromEnv, readEnv } from '../config/env';
import { type NotifyTarget, NotifyTargetSchema } from './targets';

/** Environment variables the notifications construct sets and the notify and Slack functions read. */
export const NOTIFY_ENV = {
  /** JSON: the targets, each with its filter and rate. */
  targets: 'NOTIFY_TARGETS',
  /** Where delivery keys and rate slots are kept (the deliveries table: key `pk`, TTL `expiresAt`). */
  table: 'NOTIFY_TABLE_NAME',
  /** The Slack app's signing secret (a secret id). */
  slackSigningSecret: 'SLACK_SIGNING_SECRET_ID',
  /** JSON: URL prefixes a Slack `response_url` may have. @default ["https://hooks.slack.com/"] */
  slackResponseUrls: 'SLACK_RESPONSE_URL_PREFIXES',
  secretCacheSeconds: 'SECRET_CACHE_TTL_SECONDS',
} as const;

export interface NotifyConfig {
  readonly targets: readonly NotifyTarget[];
  readonly table: string;
  readonly secretCacheMs: number;
}

export function loadNotifyConfig(env: NodeJS.ProcessEnv = process.env): NotifyConfig {
  const e = readEnv(
    z.object({
      [NOTIFY_ENV.targets]: jsonFromEnv(z.array(NotifyTargetSchema)),
      [NOTIFY_ENV.table]: z.string().check(z.minLength(1)),
      [NOTIFY_ENV.secretCacheSeconds]: intFromEnv(300),
    }),
    env,
  );
  return {
    targets: e[NOTIFY_ENV.targets],
    table: e[NOTIFY_ENV.table],
    secretCacheMs: e[NOTIFY_ENV.secretCacheSeconds] * 1000,
  };
}

export interface SlackConfig {
  readonly signingSecretId: string;
  readonly responseUrlPrefixes: readonly string[];
}

export function loadSlackConfig(env: NodeJS.ProcessEnv = process.env): SlackConfig {
  const e = readEnv(
    z.object({
      [NOTIFY_ENV.slackSigningSecret]: z.string().check(z.minLength(1)),
      [NOTIFY_ENV.slackResponseUrls]: z._default(
        jsonFromEnv(z.array(z.string().check(z.url())).check(z.minLength(1))),
        ['https://hooks.slack.com/'],
      ),
    }),
    env,
  );
  return {
    signingSecretId: e[NOTIFY_ENV.slackSigningSecret],
    responseUrlPrefixes: e[NOTIFY_ENV.slackResponseUrls],
  };
}
