import { type AwsJsonService, AwsServiceError, requiredString, unknownOperation } from '../edge/aws-json';

/** Where the lines of one log stream come from: the local build runner, by build id. */
export type LogSource = (groupName: string, streamName: string) => Promise<string[] | undefined>;

/** Which groups and streams exist (for DescribeLogGroups, DescribeLogStreams and FilterLogEvents). */
export interface LogCatalog {
  groups(): string[];
  /** The group's streams, newest first; undefined for a group that does not exist. */
  streams(group: string): { name: string; createdAt: number }[] | undefined;
}

const NO_CATALOG: LogCatalog = { groups: () => [], streams: () => undefined };

/**
 * CloudWatch Logs GetLogEvents over local logs (builds' output), so `gantry runs show` reads a
 * build's log the same way in both modes. Lines are numbered; the tokens page through them.
 */
export function cloudWatchLogsService(source: LogSource, catalog: LogCatalog = NO_CATALOG): AwsJsonService {
  const service: AwsJsonService = {
    name: 'CloudWatch Logs',
    targetPrefix: 'Logs_20140328',
    signingName: 'logs',
    errorNamespace: 'com.amazonaws.logs',
    async handle(operation, input) {
      if (operation === 'DescribeLogGroups') return describeLogGroups(catalog, input);
      if (operation === 'DescribeLogStreams') return describeLogStreams(catalog, input);
      if (operation === 'FilterLogEvents') return filterLogEvents(source, catalog, input);
      if (operation !== 'GetLogEvents') throw unknownOperation(service, operation);
      const group = requiredString(input, 'logGroupName');
      const stream = requiredString(input, 'logStreamName');
      const lines = await source(group, stream);
      if (lines === undefined)
        throw new AwsServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');
      const limit = Math.min(Number(input.limit ?? 10_000), 10_000);
      const fromHead = input.startFromHead === true;
      const token = typeof input.nextToken === 'string' ? Number(input.nextToken.replace(/^[fb]\//, '')) : undefined;
      const end = token ?? lines.length;
      const [from, to] = fromHead
        ? [token ?? 0, Math.min((token ?? 0) + limit, lines.length)]
        : [Math.max(0, end - limit), end];
      const now = Date.now();
      return {
        events: lines.slice(from, to).map((message) => ({ timestamp: now, ingestionTime: now, message })),
        nextForwardToken: `f/${to}`,
        nextBackwardToken: `b/${from}`,
      };
    },
  };
  return service;
}

function describeLogGroups(catalog: LogCatalog, input: Record<string, unknown>) {
  const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
  const groups = catalog
    .groups()
    .filter((g) => g.startsWith(prefix))
    .sort();
  return {
    logGroups: groups.map((name) => ({
      logGroupName: name,
      creationTime: 0,
      storedBytes: 0,
    })),
  };
}

function streamsOf(catalog: LogCatalog, input: Record<string, unknown>) {
  const group = requiredString(input, 'logGroupName');
  const streams = catalog.streams(group);
  if (streams === undefined)
    throw new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
  return { group, streams };
}

function describeLogStreams(catalog: LogCatalog, input: Record<string, unknown>) {
  const { streams } = streamsOf(catalog, input);
  const prefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
  return {
    logStreams: streams
      .filter((s) => s.name.startsWith(prefix))
      .map((s) => ({ logStreamName: s.name, creationTime: s.createdAt, firstEventTimestamp: s.createdAt })),
  };
}

/** FilterLogEvents with the plain-term pattern (every term must appear); other pattern syntax is refused. */
async function filterLogEvents(source: LogSource, catalog: LogCatalog, input: Record<string, unknown>) {
  const { group, streams } = streamsOf(catalog, input);
  const named = Array.isArray(input.logStreamNames) ? (input.logStreamNames as unknown[]).map(String) : undefined;
  const pattern = typeof input.filterPattern === 'string' ? input.filterPattern.trim() : '';
  if (/[{}[\]]/.test(pattern))
    throw new AwsServiceError(
      'InvalidParameterException',
      'local mode filters by plain terms only (no JSON or space-delimited patterns)',
    );
  const terms = pattern === '' ? [] : pattern.split(/\s+/).map((t) => t.replace(/^"|"$/g, ''));
  const events: {
    logStreamName: string;
    timestamp: number;
    ingestionTime: number;
    message: string;
    eventId: string;
  }[] = [];
  for (const stream of streams.filter((s) => named === undefined || named.includes(s.name))) {
    const lines = (await source(group, stream.name)) ?? [];
    lines.forEach((message, i) => {
      if (terms.every((t) => message.includes(t)))
        events.push({
          logStreamName: stream.name,
          timestamp: stream.createdAt,
          ingestionTime: stream.createdAt,
          message,
          eventId: `${stream.name}-${i}`,
        });
    });
  }
  const limit = Math.min(Number(input.limit ?? 10_000), 10_000);
  return {
    events: events.slice(0, limit),
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
  };
}
