import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { NOTIFY_ENV } from '../../shared/notify/env';
import { type NotifyTarget, NotifyTargetSchema } from '../../shared/notify/targets';
import type { EdgeAttachment } from '../edge/server';
import { isStsRequest } from '../edge/sts';
import { secretEnvVar } from '../secretsmanager/env';
import type { FunctionSpec, LocalInventory } from '../template/inventory';

/** One message the recording fake took, as the target would have received it. */
export interface RecordedNotification {
  readonly id: string;
  readonly at: string;
  /** `slack`, `teams`, `sns`, or `slack-response` (an answer to a button click). */
  readonly kind: 'slack' | 'teams' | 'sns' | 'slack-response';
  /** The target's name (`sns`: the topic's name). */
  readonly target: string;
  readonly body: unknown;
}

/** Where the fake's routes live on the edge. */
export const NOTIFY_ROUTE = '/_gantry/notify';
export const SLACK_RESPONSE_PATH = `${NOTIFY_ROUTE}/slack-response`;

/**
 * Local stand-in for Slack and Teams incoming webhooks and SNS Publish: every message is recorded
 * and shown at `/_gantry/notifications`. The notifier is unchanged: its webhook secrets resolve to
 * the fake's URLs (unless a `GANTRY_SECRET_*` variable points them elsewhere), and its SNS client
 * reaches the edge like every other AWS client. `throttle(target, n)` answers the next n messages
 * to a webhook 429, as Slack does over its rate.
 */
export class LocalNotifications {
  readonly records: RecordedNotification[] = [];
  private readonly throttled = new Map<string, number>();
  private readonly targets: readonly NotifyTarget[];

  constructor(
    private readonly edgeEndpoint: string,
    inventory: LocalInventory,
  ) {
    const notifier = inventory.functions.find((f) => f.environment[NOTIFY_ENV.targets] !== undefined);
    const raw = notifier?.environment[NOTIFY_ENV.targets];
    this.targets = raw === undefined ? [] : z.array(NotifyTargetSchema).parse(JSON.parse(raw));
  }

  /** The webhook URL a Slack or Teams target's secret holds locally. */
  webhookUrl(target: Pick<NotifyTarget, 'type' | 'name'>): string {
    return `${this.edgeEndpoint}${NOTIFY_ROUTE}/${target.type}/${target.name}`;
  }

  /** `GANTRY_SECRET_*` values pointing each webhook secret at the fake (a variable already set wins). */
  secretOverrides(): Record<string, string> {
    return Object.fromEntries(
      this.targets
        .filter((t) => t.secretId !== undefined)
        .map((t) => [secretEnvVar(t.secretId ?? ''), JSON.stringify({ webhookUrl: this.webhookUrl(t) })]),
    );
  }

  /** The Slack route may answer at the fake (Slack's own `response_url`s are on hooks.slack.com). */
  withLocalEnv(fn: FunctionSpec): FunctionSpec {
    if (fn.environment[NOTIFY_ENV.slackSigningSecret] === undefined) return fn;
    const prefixes = JSON.stringify([`${this.edgeEndpoint}${SLACK_RESPONSE_PATH}`]);
    return { ...fn, environment: { ...fn.environment, [NOTIFY_ENV.slackResponseUrls]: prefixes } };
  }

  /** Answers the next `count` messages to a webhook target with 429 and `Retry-After: 1`. */
  throttle(target: string, count: number): void {
    this.throttled.set(target, count);
  }

  /** The stand-ins of Slack's and Teams' incoming webhooks, Slack's response URLs, SNS, and the record. */
  edgeAttachments(): EdgeAttachment[] {
    const webhooks = this.targets
      .filter((t) => t.type !== 'sns')
      .map((target): EdgeAttachment => {
        const kind = target.type as 'slack' | 'teams';
        return {
          route: `${NOTIFY_ROUTE}/${kind}/${target.name}`,
          handler: async (req, _url, body) => {
            if (req.method !== 'POST') return { status: 405, body: { message: 'POST a message' } };
            const left = this.throttled.get(target.name) ?? 0;
            if (left > 0) {
              this.throttled.set(target.name, left - 1);
              return { status: 429, body: { message: 'rate_limited' } };
            }
            this.record(kind, target.name, parse(body));
            return { status: 200, body: { ok: true } };
          },
          // Open as Slack's and Teams' own webhooks are: the functions post to them without the token.
          access: 'open',
        };
      });
    return [
      ...webhooks,
      {
        route: SLACK_RESPONSE_PATH,
        handler: async (_req, _url, body) => {
          this.record('slack-response', 'slack', parse(body));
          return { status: 200, body: { ok: true } };
        },
        access: 'open',
      },
      {
        route: '/_gantry/notifications',
        handler: async () => ({ status: 200, body: { notifications: this.records } }),
      },
      {
        rest: {
          name: 'sns',
          signingName: 'sns',
          // SNS speaks the AWS query protocol: a form POST to / with Action=Publish (STS too: its signature says which).
          accepts: (req, url) =>
            req.method === 'POST' &&
            url.pathname === '/' &&
            String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') &&
            !isStsRequest(req, url),
          handle: (req, res) => this.publish(req, res),
        },
      },
    ];
  }

  /**
   * A message an EventBridge rule sent to an SNS topic (the alarm topic's security notices): any
   * topic of the template, recorded as `sns` under the topic's name. Returns the message id.
   */
  deliverToTopic(topicArn: string, message: string): string {
    const id = randomUUID();
    this.records.push({
      id,
      at: new Date().toISOString(),
      kind: 'sns',
      target: topicArn.split(':').pop() ?? topicArn,
      body: { topicArn, subject: null, message },
    });
    return id;
  }

  private record(kind: RecordedNotification['kind'], target: string, body: unknown): void {
    this.records.push({ id: randomUUID(), at: new Date().toISOString(), kind, target, body });
  }

  private async publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (form.get('Action') !== 'Publish') {
      res
        .writeHead(400, { 'content-type': 'text/xml' })
        .end(snsError('InvalidAction', 'only Publish is served locally'));
      return;
    }
    const topicArn = form.get('TopicArn') ?? '';
    const topic = topicArn.split(':').pop() ?? '';
    const target = this.targets.find((t) => t.topicArn !== undefined && t.topicArn.split(':').pop() === topic);
    if (target === undefined) {
      res.writeHead(404, { 'content-type': 'text/xml' }).end(snsError('NotFound', `Topic does not exist: ${topicArn}`));
      return;
    }
    const messageId = randomUUID();
    this.record('sns', target.name, { topicArn, subject: form.get('Subject'), message: form.get('Message') });
    res
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      );
  }
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

function snsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
