import { AwsServiceError } from '../edge/aws-json';
import type { LoadedMachine } from './machines';
import { executionArnIn, stateMachineArnIn } from './names';
import type { ExecutionRegistry } from './registry';
import type { ExecutionRecord } from './store';
import type { TaskTokens } from './tokens';

/** What the API operations work on. */
export interface ApiContext {
  readonly machines: ReadonlyMap<string, LoadedMachine>;
  readonly registry: ExecutionRegistry;
  readonly tokens: TaskTokens;
  /** Reported as the state machines' creation date: when this emulator loaded them. */
  readonly loadedAt: number;
}

/** One API operation: validates its input and answers as the real API would, or throws AwsServiceError. */
export type Operation = (api: ApiContext, input: Record<string, unknown>) => Promise<unknown> | unknown;

/** The state machine a request names, or the error the API answers with. */
export function machineIn(api: ApiContext, input: Record<string, unknown>): LoadedMachine {
  const arn = stateMachineArnIn(input);
  const machine = api.machines.get(arn);
  if (machine === undefined)
    throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return machine;
}

/** The execution a request names, or the error the API answers with. */
export function executionIn(api: ApiContext, input: Record<string, unknown>): ExecutionRecord {
  const arn = executionArnIn(input);
  const record = api.registry.get(arn);
  if (record === undefined) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return record;
}

/** An optional string parameter, or ValidationException when it is something else. */
export function optionalString(input: Record<string, unknown>, name: string, maxLength: number): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must be a string of at most ${maxLength} characters`,
    );
  }
  return value;
}
