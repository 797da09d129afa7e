import { SqsError } from './errors';
import { type Input, optionalInt, optionalString } from './params';
import type { QueueSettings } from './queue';

/**
 * ListQueues: URLs of queues whose name starts with QueueNamePrefix, by name. Pages only when
 * MaxResults is given, as in SQS; the NextToken is the last name returned, opaque to callers.
 */
export function listQueues(
  queues: readonly QueueSettings[],
  input: Input,
): { QueueUrls?: string[]; NextToken?: string } {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const max = optionalInt(input, 'MaxResults', 1, 1000);
  const after = afterName(optionalString(input, 'NextToken'));
  const matching = queues
    .filter((q) => q.name.startsWith(prefix) && (after === undefined || q.name > after))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = max === undefined ? matching : matching.slice(0, max);
  const last = page.at(-1);
  const more = max !== undefined && matching.length > page.length && last !== undefined;
  return {
    QueueUrls: page.length === 0 ? undefined : page.map((q) => q.url),
    NextToken: more ? Buffer.from(last.name, 'utf8').toString('base64url') : undefined,
  };
}

function afterName(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_.-]{1,80}$/.test(name)) throw new SqsError('InvalidParameterValue', 'Invalid NextToken value.');
  return name;
}
