import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { compileTargetInput } from '../local/eventbridge/input';
import type { JsonObject } from '../local/eventbridge/json';
import { documentClient } from '../shared/aws/clients';
import { EventBridgeBus } from '../shared/bus/event-bus';
import { DELIVERIES_TABLE_NAME, EVENT_BUS_NAME } from '../shared/config/names';
import { AwsTargetStarter, EventBridgeRuleDirectory, LambdaAsync, ruleOf } from '../shared/dlq/aws';
import { redriveInvocationLetter } from '../shared/dlq/invocations';
import { DEAD_LETTER_QUEUES, type DeadLetterQueueName, SqsDeadLetterQueue } from '../shared/dlq/queue';
import type { DeadLetterView, LetterRedriver, RedriveReport } from '../shared/dlq/redrive';
import { type RuleTarget, redriveTriggerLetter, type TargetStarter } from '../shared/dlq/triggers';
import { eventsOf, redriveWebhookLetter } from '../shared/dlq/webhooks';
import { printable, printableJson } from '../shared/text/printable';
import { DynamoDbDeliveryStore } from '../shared/webhooks/deliveries';
import { UsageError } from './errors';
import { table, when } from './format';
import type { Target } from './target';

/** Where each queue is: its URL from the environment, or the one queue CloudFormation named with this prefix. */
const QUEUES: Record<DeadLetterQueueName, { env: string; prefix: string }> = {
  webhooks: { env: 'GANTRY_WEBHOOK_DLQ_URL', prefix: 'GantryControlPlane-WebhookIngressDeadLetterQueue' },
  triggers: { env: 'GANTRY_TRIGGER_DLQ_URL', prefix: 'GantryControlPlane-TriggerDeadLetters' },
};

/** `--queue`: one of the two, or both when not given. */
export function queueNames(option: string | undefined): DeadLetterQueueName[] {
  if (option === undefined) return [...DEAD_LETTER_QUEUES];
  if (!(DEAD_LETTER_QUEUES as readonly string[]).includes(option))
    throw new UsageError(`--queue must be ${DEAD_LETTER_QUEUES.join(' or ')}, not ${option}`);
  return [option as DeadLetterQueueName];
}

/** The dead-letter queues of the target (local mode or an AWS account). */
export async function deadLetterQueues(target: Target, names: readonly DeadLetterQueueName[]) {
  const sqs = new SQSClient(target.clientConfig);
  return Promise.all(names.map(async (name) => new SqsDeadLetterQueue(sqs, name, await queueUrl(sqs, name))));
}

async function queueUrl(sqs: SQSClient, name: DeadLetterQueueName): Promise<string> {
  const { env, prefix } = QUEUES[name];
  const fromEnv = process.env[env];
  if (fromEnv) return fromEnv;
  const urls = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? [];
  if (urls.length === 1 && urls[0]) return urls[0];
  throw new UsageError(
    urls.length === 0
      ? `no ${name} dead-letter queue (${prefix}…) here: deploy GantryControlPlane, or set ${env}`
      : `${urls.length} queues are named ${prefix}…: set ${env} to the one to use`,
  );
}

/**
 * Sends each kind of letter on the way it was going: webhook events to the bus, trigger events to
 * their target, a failed asynchronous invocation to its function.
 */
export function letterRedriver(target: Target): LetterRedriver {
  const config = target.clientConfig;
  const bus = new EventBridgeBus(new EventBridgeClient(config), process.env.GANTRY_EVENT_BUS ?? EVENT_BUS_NAME);
  const admissions = new DynamoDbDeliveryStore(
    documentClient(new DynamoDBClient(config)),
    process.env.GANTRY_DELIVERIES_TABLE ?? DELIVERIES_TABLE_NAME,
  );
  const rules = new EventBridgeRuleDirectory(new EventBridgeClient(config));
  const lambda = new LambdaClient(config);
  const starter = new AwsTargetStarter(new SFNClient(config), lambda);
  const targets: TargetStarter = { inputFor, start: (arn, input) => starter.start(arn, input) };
  const invocations = new LambdaAsync(lambda);
  return async (letter, queue) => {
    if (letter.kind === 'webhook') return redriveWebhookLetter({ bus, admissions }, letter.letter);
    const queueArn = await queue.arn();
    return letter.kind === 'trigger'
      ? redriveTriggerLetter({ rules, targets, queueArn }, letter)
      : redriveInvocationLetter({ configs: invocations, invoker: invocations, queueArn }, letter);
  };
}

/** The target's input, shaped with EventBridge's own rules (the local emulator's, which follow the API). */
function inputFor(target: RuleTarget, event: Record<string, unknown>, ruleArn: string): string {
  const shape = compileTargetInput({
    Id: target.id,
    ...(target.input === undefined ? {} : { Input: target.input }),
    ...(target.inputPath === undefined ? {} : { InputPath: target.inputPath }),
    ...(target.inputTransformer === undefined ? {} : { InputTransformer: target.inputTransformer }),
  });
  return shape.text(event as JsonObject, { ruleArn, ruleName: ruleOf(ruleArn)?.name ?? '' });
}

/** `gantry dlq list`: one row per message, with how long SQS still keeps it (its text escaped: a sender's). */
export function deadLettersTable(views: readonly DeadLetterView[], now: Date = new Date()): string {
  if (views.length === 0) return 'No dead letters.';
  return table(
    ['QUEUE', 'MESSAGE', 'SUBJECT', 'REASON', 'AGE', 'DROPPED IN'],
    views.map((v) => [
      v.queue,
      printable(v.messageId),
      printable(v.subject),
      printable(v.reason),
      span(now.getTime() - v.sentAt.getTime()),
      v.expiresAt <= now ? 'now' : span(v.expiresAt.getTime() - now.getTime()),
    ]),
  );
}

/**
 * `gantry dlq show`: everything about one message, and what a redrive would send. A letter holds
 * what a webhook's sender wrote (a branch name, an error about their payload): it is shown escaped,
 * and the events redrive would send as JSON with the separators and bidi controls JSON leaves.
 */
export function describeDeadLetter(view: DeadLetterView, now: Date = new Date()): string {
  const out = [
    `Message ${printable(view.messageId)} in the ${view.queue} dead-letter queue`,
    `  subject      ${printable(view.subject)}`,
    `  reason       ${printable(view.reason)}`,
    `  sent         ${when(view.sentAt.toISOString())} (${span(now.getTime() - view.sentAt.getTime())} ago), received ${view.receiveCount} times`,
    `  dropped      ${when(view.expiresAt.toISOString())}, unless redriven before (SQS deletes it silently)`,
  ];
  const { letter } = view;
  if (letter.kind === 'webhook') {
    out.push(`  received     ${printable(when(letter.letter.receivedAt))}`, '', 'Redrive publishes to the bus:');
    try {
      const events = eventsOf(letter.letter);
      for (const { detail } of events)
        out.push(printable(`  ${detail.eventId}  ${detail.kind} ${detail.ref} @ ${detail.headSha ?? '-'}`));
      if (events.length === 0) out.push('  nothing: the stored delivery no longer yields its events');
    } catch (error) {
      out.push(
        `  nothing: the stored delivery no longer parses (${printable(error instanceof Error ? error.message : String(error))})`,
      );
    }
  } else if (letter.kind === 'trigger') {
    out.push(
      `  rule         ${printable(letter.ruleArn)}`,
      `  target       ${printable(letter.targetArn)}`,
      `  retries      ${letter.retryAttempts || '-'}`,
      '',
      'Redrive starts that target, and no other, with:',
      `  ${printableJson(letter.event)}`,
    );
  } else if (letter.kind === 'invocation') {
    out.push(
      `  function     ${printable(letter.functionArn)}`,
      `  attempts     ${letter.invokeCount} (${printable(letter.condition)})`,
      '',
      'Redrive invokes that function, asynchronously, with:',
      `  ${printableJson(letter.payload)}`,
    );
  } else {
    out.push('', 'Redrive leaves it where it is: it is not a dead letter Gantry, EventBridge or Lambda wrote.');
  }
  return out.join('\n');
}

/** `gantry dlq redrive`: what became of each message (a refusal may quote the letter: escaped). */
export function redriveTable(reports: readonly RedriveReport[]): string {
  if (reports.length === 0) return 'No dead letters to redrive.';
  const rows = reports.map((r) => [
    r.queue,
    printable(r.messageId),
    printable(r.subject),
    r.status === 'redriven' ? 'redriven' : `kept (${r.code})`,
    printable(r.detail),
  ]);
  const sent = reports.filter((r) => r.status === 'redriven').length;
  return `${table(['QUEUE', 'MESSAGE', 'SUBJECT', 'OUTCOME', 'DETAIL'], rows)}\n\n${sent} redriven, ${reports.length - sent} kept in the queue.`;
}

/** `40 s`, `12 min`, `5 h 3 min`, `3 d 4 h`. */
export function span(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return `${Math.floor(Math.max(0, ms) / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
