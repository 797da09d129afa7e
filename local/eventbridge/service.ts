import { type AwsJsonService, AwsServiceError, requiredString, unknownOperation } from '../edge/aws-json';
import type { LocalBus } from './bus';
import { EventBridgeError } from './errors';
import { isJsonObject } from './json';
import { testEventPattern } from './test-event-pattern';

const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * The EventBridge API over the local buses: PutEvents (with EventBridge's per-entry errors) and
 * TestEventPattern (the very matcher the buses use), plus the read-only calls the CLI needs.
 */
export function eventBridgeService(bus: LocalBus): AwsJsonService {
  const service: AwsJsonService = {
    name: 'EventBridge',
    targetPrefix: 'AWSEvents',
    signingName: 'events',
    errorNamespace: 'com.amazonaws.eventbridge',
    async handle(operation, input) {
      switch (operation) {
        case 'PutEvents':
          return putEvents(bus, input);
        case 'TestEventPattern':
          return testPattern(input);
        case 'ListEventBuses': {
          const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
          const buses = bus.busList().filter((b) => b.name.startsWith(prefix));
          return { EventBuses: buses.map((b) => ({ Name: b.name, Arn: b.arn })) };
        }
        case 'DescribeEventBus': {
          const name = String(input.Name ?? 'default');
          const found = bus.busList().find((b) => b.name === name || b.arn === name);
          if (found === undefined)
            throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
          return { Name: found.name, Arn: found.arn };
        }
        case 'ListRules':
          return {
            Rules: bus.rulesFor(String(input.EventBusName ?? 'default')).map((r) => ({
              Name: r.name,
              Arn: r.arn,
              EventBusName: r.busName,
              ...(r.scheduleExpression === undefined
                ? { EventPattern: JSON.stringify(r.pattern) }
                : { ScheduleExpression: r.scheduleExpression }),
              State: 'ENABLED',
            })),
          };
        case 'ListTargetsByRule': {
          const rule = bus.allRules().find((r) => r.name === requiredString(input, 'Rule'));
          if (rule === undefined)
            throw new AwsServiceError('ResourceNotFoundException', `Rule ${String(input.Rule)} does not exist.`);
          return {
            Targets: rule.targets.map((t) => ({
              Id: t.id,
              Arn: t.arn,
              Input: t.input,
              InputPath: t.inputPath,
              InputTransformer: t.inputTransformer,
              ...(t.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: t.deadLetterArn } }),
              ...(t.maximumRetryAttempts === undefined
                ? {}
                : { RetryPolicy: { MaximumRetryAttempts: t.maximumRetryAttempts } }),
            })),
          };
        }
        default:
          throw unknownOperation(service, operation);
      }
    },
  };
  return service;
}

function putEvents(bus: LocalBus, input: Record<string, unknown>) {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
    throw new AwsServiceError(
      'ValidationException',
      "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10",
    );
  }
  const results: Record<string, unknown>[] = [];
  const accepted: { index: number; entry: Parameters<LocalBus['accept']>[0][number] }[] = [];
  entries.forEach((raw: Record<string, unknown>, index) => {
    const problem = entryProblem(bus, raw);
    if (problem) results[index] = problem;
    else {
      accepted.push({
        index,
        entry: {
          bus: String(raw.EventBusName ?? 'default'),
          source: String(raw.Source),
          detailType: String(raw.DetailType),
          detail: JSON.parse(String(raw.Detail)),
          ...(raw.Time === undefined ? {} : { time: new Date(Number(raw.Time) * 1000) }),
          ...(Array.isArray(raw.Resources) ? { resources: raw.Resources.map(String) } : {}),
        },
      });
    }
  });
  const ids = bus.accept(accepted.map((a) => a.entry));
  accepted.forEach((a, i) => {
    results[a.index] = { EventId: ids[i] };
  });
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
}

function entryProblem(
  bus: LocalBus,
  raw: Record<string, unknown>,
): { ErrorCode: string; ErrorMessage: string } | undefined {
  if (typeof raw.Source !== 'string' || raw.Source === '')
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
    };
  if (typeof raw.DetailType !== 'string' || raw.DetailType === '')
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    };
  if (typeof raw.Detail !== 'string')
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
    };
  let detail: unknown;
  try {
    detail = JSON.parse(raw.Detail);
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (!isJsonObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const size = Buffer.byteLength(raw.Source) + Buffer.byteLength(raw.DetailType) + Buffer.byteLength(raw.Detail);
  if (size > MAX_ENTRY_BYTES)
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Total size of the entries in the request is over the limit.',
    };
  const name = String(raw.EventBusName ?? 'default');
  if (!bus.hasBus(name))
    return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${name} does not exist.` };
  return undefined;
}

function testPattern(input: Record<string, unknown>) {
  try {
    return { Result: testEventPattern(requiredString(input, 'Event'), requiredString(input, 'EventPattern')) };
  } catch (error) {
    if (error instanceof EventBridgeError) throw new AwsServiceError(error.code, error.message);
    throw error;
  }
}
