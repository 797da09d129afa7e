import { type AwsJsonService, AwsServiceError, requiredString, unknownOperation } from '../edge/aws-json';

/** Where the lines of one log stream come from: the local build runner, by build id. */
export type LogSource = (groupName: string, streamName: string) => Promise<string[] | undefined>;

/**
 * CloudWatch Logs GetLogEvents over local logs (builds' output), so `gantry runs show` reads a
 * build's log the same way in both modes. Lines are numbered; the tokens page through them.
 */
export function cloudWatchLogsService(source: LogSource): AwsJsonService {
  const service: AwsJsonService = {
    name: 'CloudWatch Logs',
    targetPrefix: 'Logs_20140328',
    errorNamespace: 'com.amazonaws.logs',
    async handle(operation, input) {
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
