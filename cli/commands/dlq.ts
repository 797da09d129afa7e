import type { Command } from 'commander';
import type { DeadLetterView, RedriveReport } from '../../shared/dlq/redrive';
import { CommandFailed, UsageError } from '../errors';
import { printJson } from '../io';
import { countOption, type TargetFlags, targetOptions } from '../options';

const QUEUE_OPTION = [
  '--queue <queue>',
  'webhooks (deliveries the bus would not take) or triggers (events a rule target missed); both by default',
] as const;
const MIN_ID = 8;

export function registerDlqCommands(program: Command): void {
  const dlq = targetOptions(
    program
      .command('dlq')
      .description('the dead-letter queues: list, show, redrive (SQS keeps a message 14 days, then drops it silently)'),
  );
  const common = () => dlq.opts<TargetFlags>();

  dlq
    .command('list')
    .description('every dead letter, oldest first, with its age and how long SQS still keeps it')
    .option(...QUEUE_OPTION)
    .option('--limit <n>', 'how many per queue', countOption('--limit'), 100)
    .option('--json', 'print JSON')
    .action(async (options: { queue?: string; limit: number; json?: boolean }) => {
      const views = await peek(common(), options.queue, options.limit);
      const { deadLettersTable } = await import('../dlq');
      if (options.json) printJson(views.map(publicView));
      else process.stdout.write(`${deadLettersTable(views)}\n`);
    });

  dlq
    .command('show')
    .description('one dead letter: why it is there, when SQS drops it, and what a redrive would send')
    .argument('<message>', `message id, or its first ${MIN_ID} characters or more`)
    .option(...QUEUE_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, options: { queue?: string; json?: boolean }) => {
      const matches = (await peek(common(), options.queue, 1000)).filter((v) => matchesId(v.messageId, [id]));
      const [view] = matches;
      if (view === undefined || matches.length > 1)
        throw new UsageError(
          matches.length === 0
            ? `no dead letter ${id}`
            : `${id} matches ${matches.length} messages; give more of the id`,
        );
      const { describeDeadLetter } = await import('../dlq');
      if (options.json) printJson({ ...publicView(view), letter: view.letter });
      else process.stdout.write(`${describeDeadLetter(view)}\n`);
    });

  dlq
    .command('redrive')
    .description(
      'send dead letters on where they were going (webhook events to the bus, trigger events to the one target that missed them); a change already run is not run again',
    )
    .argument('[messages...]', `message ids (or their first ${MIN_ID}+ characters); all when none`)
    .option(...QUEUE_OPTION)
    .option('--limit <n>', 'at most this many per queue', countOption('--limit'), 1000)
    .option('--json', 'print JSON')
    .action(async (ids: string[], options: { queue?: string; limit: number; json?: boolean }) => {
      const short = ids.find((id) => id.length < MIN_ID);
      if (short !== undefined) throw new UsageError(`give at least ${MIN_ID} characters of a message id, not ${short}`);
      const { resolveTarget } = await import('../target');
      const { deadLetterQueues, letterRedriver, queueNames, redriveTable } = await import('../dlq');
      const { redriveQueue } = await import('../../shared/dlq/redrive');
      const target = await resolveTarget(common());
      const redrive = letterRedriver(target);
      const reports: RedriveReport[] = [];
      for (const queue of await deadLetterQueues(target, queueNames(options.queue))) {
        reports.push(
          ...(await redriveQueue(queue, redrive, {
            limit: options.limit,
            ...(ids.length > 0 ? { select: (messageId: string) => matchesId(messageId, ids) } : {}),
          })),
        );
      }
      if (options.json) printJson(reports);
      else process.stdout.write(`${redriveTable(reports)}\n`);
      const missing = ids.filter((id) => !reports.some((r) => matchesId(r.messageId, [id])));
      if (missing.length > 0) throw new CommandFailed(`no dead letter ${missing.join(', ')}`);
      const keptCount = reports.filter((r) => r.status === 'kept').length;
      if (keptCount > 0)
        throw new CommandFailed(`${keptCount} dead letter(s) kept in the queue; see OUTCOME and DETAIL`);
    });
}

async function peek(flags: TargetFlags, queue: string | undefined, limit: number): Promise<DeadLetterView[]> {
  const { resolveTarget } = await import('../target');
  const { deadLetterQueues, queueNames } = await import('../dlq');
  const { peekQueue } = await import('../../shared/dlq/redrive');
  const queues = await deadLetterQueues(await resolveTarget(flags), queueNames(queue));
  return (await Promise.all(queues.map((q) => peekQueue(q, limit)))).flat();
}

function matchesId(messageId: string, ids: readonly string[]): boolean {
  return ids.some((id) => messageId.startsWith(id));
}

function publicView(view: DeadLetterView) {
  return {
    queue: view.queue,
    messageId: view.messageId,
    kind: view.letter.kind,
    subject: view.subject,
    reason: view.reason,
    sentAt: view.sentAt.toISOString(),
    expiresAt: view.expiresAt.toISOString(),
    receiveCount: view.receiveCount,
  };
}
