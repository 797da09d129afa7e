import { randomBytes, randomUUID } from 'node:crypto';
import { loadGantryConfig } from '../../infra/config/load';
import type { BusEventRecord } from '../../local/eventbridge/bus';
import { UsageError } from '../errors';
import { busEvents, runningControlPlane, type SentDelivery, sendDelivery, settledEvents } from './client';
import { githubPushPayload } from './github-push';

/**
 * `gantry local demo`: signed sample deliveries to the running control plane, each followed by
 * what became of it — the answer, the events on the bus, the rules they matched, what started.
 */
export async function localDemo(options: { dataDir?: string }): Promise<void> {
  const info = runningControlPlane(options.dataDir);
  const config = loadGantryConfig();
  const pipeline = config.pipelines.find((p) => p.source.provider === 'github') ?? config.pipelines[0];
  if (pipeline === undefined) throw new UsageError('gantry.config.yaml has no pipeline to demonstrate');
  const started = Date.now();
  out(`Gantry demo: signed deliveries to ${info.webhookUrl}\n`);

  const payload = samplePush(pipeline.source.repository, 'develop');
  const deliveryId = randomUUID();
  await step(info, `1. A ${pipeline.source.provider} push to develop of ${pipeline.source.repository}`, () =>
    sendDelivery(info, pipeline.source.connection, payload, { deliveryId }),
  );
  await step(info, '2. The same delivery again, as a provider retry would send it', () =>
    sendDelivery(info, pipeline.source.connection, payload, { deliveryId }),
  );
  await step(info, '3. A delivery signed with the wrong secret', () =>
    sendDelivery(info, pipeline.source.connection, payload, { secret: 'not-the-secret' }),
  );
  out(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. The control plane's terminal shows each function's logs.`,
  );
}

async function step(
  info: Parameters<typeof busEvents>[0],
  title: string,
  send: () => Promise<SentDelivery>,
): Promise<void> {
  out(title);
  const before = (await busEvents(info)).at(-1)?.id;
  const answer = await send();
  out(`   → ${answer.status} ${describe(answer)}`);
  for (const event of await settledEvents(info, before)) out(eventLine(event));
  out('');
}

function describe({ body }: SentDelivery): string {
  const error = body.error as { code?: string; message?: string } | undefined;
  if (error) return `${error.code}: ${error.message} (nothing published)`;
  if (body.status === 'accepted')
    return `accepted: delivery ${String(body.deliveryId)}, ${String(body.events)} event(s) on the bus`;
  if (body.status === 'duplicate') return 'duplicate: already handled, nothing published';
  return String(body.status);
}

function eventLine(event: BusEventRecord): string {
  const lines = [`   bus: "${event.detailType}" from ${event.source} on ${event.bus}`];
  if (event.targets.length === 0) lines.push('        matched no rule');
  for (const t of event.targets) {
    const what =
      t.status === 'delivered' ? `started ${t.result ?? t.arn}` : `${t.status}${t.error ? `: ${t.error}` : ''}`;
    lines.push(`        rule ${t.rule} → ${what}`);
  }
  return lines.join('\n');
}

function samplePush(repository: string, branch: string) {
  const sha = randomBytes(20).toString('hex');
  return githubPushPayload({
    repository,
    cloneUrl: `https://github.com/${repository}.git`,
    branch,
    before: '0'.repeat(40),
    after: sha,
    commits: [
      {
        id: sha,
        message: 'Demo: change the greeting',
        author: { name: 'Demo User', email: 'demo@example.com' },
        timestamp: new Date().toISOString(),
      },
    ],
    pusher: 'demo-user',
  });
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
