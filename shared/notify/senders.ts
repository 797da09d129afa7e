import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { TtlCache } from '../secrets/ttl-cache';
import { TargetMisconfigured } from './errors';
import { type Message, SendError, type Sender } from './ports';
import type { NotifyTarget } from './targets';

/** A Slack or Teams target's secret: the incoming webhook URL (itself a credential: never logged). */
const WebhookSecretSchema = z.object({ webhookUrl: z.url({ protocol: /^https?$/ }) });

/** Port: where a webhook target's URL comes from. */
export interface WebhookUrls {
  urlOf(target: NotifyTarget): Promise<string>;
}

/** Reads `{"webhookUrl": …}` from Secrets Manager through a TTL cache. */
export class SecretsManagerWebhookUrls implements WebhookUrls {
  private readonly cache: TtlCache<string>;

  constructor(
    private readonly client: SecretsManagerClient,
    ttlMs: number,
  ) {
    this.cache = new TtlCache(ttlMs);
  }

  urlOf(target: NotifyTarget): Promise<string> {
    const secretId = target.secretId ?? '';
    return this.cache.get(secretId, async () => {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      let parsed: unknown;
      try {
        parsed = JSON.parse(out.SecretString ?? '');
      } catch {
        parsed = undefined;
      }
      const secret = WebhookSecretSchema.safeParse(parsed);
      if (!secret.success)
        throw new TargetMisconfigured(
          `secret ${secretId} of notification target ${target.name} holds no webhookUrl: aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '{"webhookUrl":"https://…"}'`,
        );
      return secret.data.webhookUrl;
    });
  }
}

/** Connection errors that mean the request never reached the target. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH']);

/** Slack and Teams incoming webhooks: one JSON POST each, 10 s at most. */
export class WebhookSender {
  constructor(
    private readonly urls: WebhookUrls,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(target: NotifyTarget, body: unknown): Promise<void> {
    const url = await this.urls.urlOf(target);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? '';
      // The URL is a credential: the message names the target, never the URL.
      throw new SendError(
        `${target.type} webhook of ${target.name} did not answer (${code || (error as Error).name})`,
        NOT_SENT.has(code) ? 'no' : 'unknown',
        false,
        undefined,
        { cause: error },
      );
    }
    await response.body?.cancel();
    if (response.ok) return;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new SendError(
      `${target.type} webhook of ${target.name} answered ${response.status}`,
      'no',
      response.status === 429,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    );
  }
}

/** SNS topics: one Publish each (e-mail subscribers get the subject and the text). */
export class SnsSender {
  constructor(private readonly client: SNSClient) {}

  async send(target: NotifyTarget, subject: string, text: string): Promise<void> {
    try {
      await this.client.send(new PublishCommand({ TopicArn: target.topicArn, Subject: subject, Message: text }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = (error as Error).name;
      throw new SendError(
        `SNS topic of ${target.name} refused the message (${name})`,
        status === undefined ? 'unknown' : 'no',
        name === 'ThrottledException' || name === 'Throttling',
        undefined,
        { cause: error },
      );
    }
  }
}

/** Sends each message the way its target takes it. */
export class TargetSender implements Sender {
  constructor(
    private readonly webhooks: WebhookSender,
    private readonly sns: SnsSender,
  ) {}

  async send(target: NotifyTarget, message: Message): Promise<void> {
    if (message.kind === 'sns') return this.sns.send(target, message.subject, message.text);
    return this.webhooks.send(target, message.body);
  }
}
