import { CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { ClientOptions } from './wiring';

type LogPage = { lines: { n: number; text: string }[]; next: number };
type LogOptions = { from: number; limit: number; filter?: string };

/** Reads a build's log: `from` a line, up to `limit` lines, those containing `filter`. */
export type LogReader = (group: string, stream: string, options: LogOptions) => Promise<LogPage>;

/**
 * The console's log reader over CloudWatch Logs (the console imports this module on the first
 * log it shows): server-side filtering where the service has it, else page by page.
 */
export function logReader(clients: ClientOptions, filterLogs: boolean): LogReader {
  const logs = new CloudWatchLogsClient(clients);
  return (group, stream, options) =>
    filterLogs ? filtered(logs, group, stream, options) : paged(logs, group, stream, options);
}

/** Lines from `from`, reading page by page and keeping those that contain the filter: never the whole log to the page. */
async function paged(logs: CloudWatchLogsClient, group: string, stream: string, options: LogOptions): Promise<LogPage> {
  const lines: LogPage['lines'] = [];
  const needle = options.filter?.toLowerCase();
  let n = options.from;
  for (;;) {
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        startFromHead: true,
        nextToken: `f/${n}`,
        limit: 1000,
      }),
    );
    const events = out.events ?? [];
    for (const event of events) {
      const text = event.message ?? '';
      if (needle === undefined || text.toLowerCase().includes(needle)) lines.push({ n, text });
      n += 1;
      if (lines.length >= options.limit) return { lines, next: n };
    }
    if (events.length === 0) return { lines, next: n };
  }
}

/** In AWS, CloudWatch Logs filters server-side (FilterLogEvents); `next` counts the lines already shown. */
async function filtered(
  logs: CloudWatchLogsClient,
  group: string,
  stream: string,
  options: LogOptions,
): Promise<LogPage> {
  const lines: LogPage['lines'] = [];
  let nextToken: string | undefined;
  let seen = 0;
  do {
    const out = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        logStreamNames: [stream],
        ...(options.filter ? { filterPattern: JSON.stringify(options.filter) } : {}),
        nextToken,
      }),
    );
    for (const event of out.events ?? []) {
      if (seen++ < options.from) continue;
      lines.push({ n: seen - 1, text: event.message ?? '' });
      if (lines.length >= options.limit) return { lines, next: seen };
    }
    nextToken = out.nextToken;
  } while (nextToken);
  return { lines, next: seen };
}
