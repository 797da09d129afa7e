import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { PROVIDERS } from '../../events';
import { UsageError } from '../errors';
import { collect, parseHeaderOptions, printJson, readInput } from '../io';

export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('work with Git provider webhook deliveries, offline');

  webhook
    .command('normalize')
    .description('print the SourceEvents the receiver would publish for a delivery (no AWS, no signature check)')
    .requiredOption('--provider <provider>', `one of ${PROVIDERS.join(', ')}`)
    .option('--header <header>', 'a header as "Name: value" (repeatable)', collect, [])
    .argument('<file>', 'the delivery body, or - for stdin')
    .action(async (file: string, options: { provider: string; header: string[] }) => {
      const { normalizeFile } = await import('../webhook');
      printJson(await normalizeFile(options.provider, parseHeaderOptions(options.header), await readInput(file)));
    });

  webhook
    .command('sign')
    .description('print the headers the provider would send with this body, signed with the secret')
    .requiredOption('--provider <provider>', `one of ${PROVIDERS.join(', ')}`)
    .requiredOption('--secret <secret>', 'the connection webhook secret (Azure DevOps: user:password)')
    .option('--event <name>', "the provider's event name (default: its push event)")
    .option('--delivery <id>', 'the delivery id (default: a random UUID)')
    .option('--json', 'print a JSON object instead of "Name: value" lines')
    .argument('<file>', 'the delivery body, or - for stdin')
    .action(
      async (
        file: string,
        options: { provider: string; secret: string; event?: string; delivery?: string; json?: boolean },
      ) => {
        const { signFile } = await import('../webhook');
        if (options.secret === '') throw new UsageError('--secret must not be empty');
        const headers = signFile(options.provider, await readInput(file), {
          secret: options.secret,
          deliveryId: options.delivery ?? randomUUID(),
          ...(options.event === undefined ? {} : { eventName: options.event }),
        });
        if (options.json) printJson(headers);
        else for (const [name, value] of Object.entries(headers)) process.stdout.write(`${name}: ${value}\n`);
      },
    );
}
