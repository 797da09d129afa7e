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

/**
 * An event a function failed on after Lambda's retries of an asynchronous invocation, as Lambda
 * sends it to the function's on-failure destination: the record's `requestContext` names the
 * function, `requestPayload` is the event, `responsePayload` the error.
 */
export interface InvocationLetter {
  readonly kind: 'invocation';
  /** The function as the record names it (with its `$LATEST` or version qualifier). */
  readonly functionArn: string;
  readonly payload: unknown;
  /** `RetriesExhausted` or `EventAgeExceeded`. */
  readonly condition: string;
  readonly invokeCount: number;
  /** The function's last error, `Type: message`; empty when it gave none. */
  readonly error: string;
}

/** What a dead-letter message is, once read. `foreign`: nothing Gantry, EventBridge or Lambda wrote; never acted on. */
export type Letter =
  | { readonly kind: 'webhook'; readonly letter: DeadLetter }
  | TriggerLetter
  | InvocationLetter
  | { readonly kind: 'foreign'; readonly why: string };

/**
 * Reads a message of its queue: the webhooks queue holds receiver dead letters; the triggers
 * queue EventBridge's (with its attributes) and Lambda's on-failure records (without).
 */
export function letterOf(message: HeldMessage): Letter {
  const json = parseJson(message.body);
  if (json === undefined) return { kind: 'foreign', why: 'the body is not JSON' };
  if (message.queue === 'webhooks') return webhookLetter(json);
  if (message.attributes.RULE_ARN === undefined && message.attributes.TARGET_ARN === undefined)
    return invocationLetter(json);
  return triggerLetter(json, message.attributes);
}

/** Lambda's on-failure destination record (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). */
const InvocationRecordSchema = z.object({
  version: z.string(),
  timestamp: z.string(),
  requestContext: z.object({
    requestId: z.string(),
    // A function's name and qualifier as Lambda allows them: nothing a terminal would act on.
    functionArn: z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/,
        ),
      ),
    condition: z.string(),
    approximateInvokeCount: z.number(),
  }),
  requestPayload: z.unknown(),
  responsePayload: z.optional(z.unknown()),
});

function invocationLetter(json: unknown): Letter {
  const parsed = InvocationRecordSchema.safeParse(json);
  if (!parsed.success || !('requestPayload' in (json as object)))
    return {
      kind: 'foreign',
      why: 'neither an event EventBridge dead-lettered (no RULE_ARN and TARGET_ARN attributes) nor a record of an invocation Lambda gave up on',
    };
  const { requestContext, requestPayload, responsePayload } = parsed.data;
  return {
    kind: 'invocation',
    functionArn: requestContext.functionArn,
    payload: requestPayload,
    condition: requestContext.condition,
    invokeCount: requestContext.approximateInvokeCount,
    error: errorOf(responsePayload),
  };
}

/** `Type: message` of a function's error payload, one line, at most 500 characters. */
function errorOf(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return '';
  const { errorType, errorMessage } = payload as { errorType?: unknown; errorMessage?: unknown };
  const parts = [errorType, errorMessage].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.join(': ').replace(/\s+/g, ' ').slice(0, 500);
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

/** One line saying what a letter is about: the delivery, the rule and target it missed, or the function that failed. */
export function subjectOf(letter: Letter): string {
  if (letter.kind === 'webhook') return `${letter.letter.provider} delivery ${letter.letter.deliveryId}`;
  if (letter.kind === 'trigger') return `${lastPart(letter.ruleArn)} → ${lastPart(letter.targetArn)}`;
  if (letter.kind === 'invocation') return `→ ${functionNameOf(letter.functionArn)} (asynchronous invocation)`;
  return '(unreadable)';
}

/** Why it is in the queue. */
export function reasonOf(letter: Letter): string {
  if (letter.kind === 'webhook') return `publish failed: ${letter.letter.reason}`;
  if (letter.kind === 'trigger')
    return [letter.errorCode, letter.errorMessage].filter((part) => part !== '').join(': ') || 'target failed';
  if (letter.kind === 'invocation')
    return `${letter.condition} after ${letter.invokeCount} attempts${letter.error === '' ? '' : `: ${letter.error}`}`;
  return letter.why;
}

/** The function's name in `arn:…:function:<name>[:<qualifier>]`. */
export function functionNameOf(functionArn: string): string {
  return functionArn.split(':')[6] ?? functionArn;
}

function lastPart(arn: string): string {
  return arn.split(/[:/]/).pop() ?? arn;
}
