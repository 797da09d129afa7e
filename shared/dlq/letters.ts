import * as z from 'zod/mini';
import { ProviderSchema } from '../../events';
import type { DeadLetter } from '../webhooks/dead-letters';
import type { HeldMessage } from './queue';

/** A webhook dead letter as the receiver writes it (`shared/webhooks/dead-letters.ts`), read back strictly. */
const WebhookDeadLetterSchema = z.object({
  version: z.literal(1),
  provider: ProviderSchema,
  deliveryId: z.string().check(z.minLength(1)),
  receivedAt: z.iso.datetime(),
  reason: z.string(),
  failedEventIds: z.array(z.string()).check(z.minLength(1)),
  headers: z.record(z.string(), z.string()),
  body: z.object({ encoding: z.enum(['utf8', 'base64']), data: z.string() }),
}) satisfies z.ZodMiniType<DeadLetter>;

/** An event EventBridge could not deliver to one target of one rule, with what it says about why. */
export interface TriggerLetter {
  readonly kind: 'trigger';
  readonly event: Record<string, unknown>;
  readonly ruleArn: string;
  readonly targetArn: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly retryAttempts: string;
}

/** What a dead-letter message is, once read. `foreign`: nothing Gantry or EventBridge wrote; never acted on. */
export type Letter =
  | { readonly kind: 'webhook'; readonly letter: DeadLetter }
  | TriggerLetter
  | { readonly kind: 'foreign'; readonly why: string };

/** Reads a message of its queue: the webhooks queue holds receiver dead letters, the triggers queue EventBridge's. */
export function letterOf(message: HeldMessage): Letter {
  const json = parseJson(message.body);
  if (json === undefined) return { kind: 'foreign', why: 'the body is not JSON' };
  return message.queue === 'webhooks' ? webhookLetter(json) : triggerLetter(json, message.attributes);
}

function webhookLetter(json: unknown): Letter {
  const parsed = WebhookDeadLetterSchema.safeParse(json);
  if (parsed.success) return { kind: 'webhook', letter: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    kind: 'foreign',
    why: `not a webhook dead letter (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unreadable'})`,
  };
}

function triggerLetter(json: unknown, attributes: Readonly<Record<string, string>>): Letter {
  const ruleArn = attributes.RULE_ARN;
  const targetArn = attributes.TARGET_ARN;
  if (ruleArn === undefined || targetArn === undefined)
    return { kind: 'foreign', why: 'no RULE_ARN and TARGET_ARN attributes: not a message EventBridge dead-lettered' };
  if (!isEvent(json)) return { kind: 'foreign', why: 'the body is not an EventBridge event' };
  return {
    kind: 'trigger',
    event: json,
    ruleArn,
    targetArn,
    errorCode: attributes.ERROR_CODE ?? '',
    errorMessage: attributes.ERROR_MESSAGE ?? '',
    retryAttempts: attributes.RETRY_ATTEMPTS ?? '',
  };
}

function isEvent(json: unknown): json is Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const event = json as Record<string, unknown>;
  return typeof event.source === 'string' && typeof event['detail-type'] === 'string' && 'detail' in event;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One line saying what a letter is about: the delivery, or the rule and target it missed. */
export function subjectOf(letter: Letter): string {
  if (letter.kind === 'webhook') return `${letter.letter.provider} delivery ${letter.letter.deliveryId}`;
  if (letter.kind === 'trigger') return `${lastPart(letter.ruleArn)} → ${lastPart(letter.targetArn)}`;
  return '(unreadable)';
}

/** Why it is in the queue. */
export function reasonOf(letter: Letter): string {
  if (letter.kind === 'webhook') return `publish failed: ${letter.letter.reason}`;
  if (letter.kind === 'trigger')
    return [letter.errorCode, letter.errorMessage].filter((part) => part !== '').join(': ') || 'target failed';
  return letter.why;
}

function lastPart(arn: string): string {
  return arn.split(/[:/]/).pop() ?? arn;
}
