import type { JsonObject, JsonValue } from '../eventbridge/json';
import type { TaskBinding } from './bindings';
import { type ResourceNames, resourceNames } from './resources';

/** A history event before the recorder numbers it; `timestamp` in epoch milliseconds. */
export interface NewHistoryEvent {
  readonly type: string;
  readonly timestamp: number;
  /** The HistoryEvent member holding the details, e.g. `taskScheduledEventDetails`. */
  readonly detailsKey?: string;
  readonly details?: JsonObject;
}

/** A history event as stored: numbered, with the event it follows. */
export interface HistoryEventRecord extends NewHistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
}

/** Step Functions carries inputs and outputs in history as JSON text, with a truncation flag. */
export function jsonText(value: JsonValue | undefined): string {
  return JSON.stringify(value ?? null);
}

function event(type: string, detailsKey?: string, details?: JsonObject): NewHistoryEvent {
  const base = { type, timestamp: Date.now() };
  return detailsKey === undefined ? base : { ...base, detailsKey, details: details ?? {} };
}

/** Details with only the fields that have a value (AWS omits absent ones). */
function defined(fields: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

/** The execution-level events, one per status change. */
export const executionEvents = {
  started: (input: string, roleArn: string) =>
    event('ExecutionStarted', 'executionStartedEventDetails', {
      input,
      inputDetails: { truncated: false },
      roleArn,
    }),
  succeeded: (output: string) =>
    event('ExecutionSucceeded', 'executionSucceededEventDetails', { output, outputDetails: { truncated: false } }),
  failed: (error?: string, cause?: string) =>
    event('ExecutionFailed', 'executionFailedEventDetails', defined({ error, cause })),
  aborted: (error?: string, cause?: string) =>
    event('ExecutionAborted', 'executionAbortedEventDetails', defined({ error, cause })),
  timedOut: (error?: string, cause?: string) =>
    event('ExecutionTimedOut', 'executionTimedOutEventDetails', defined({ error, cause })),
};

/** The state-level events: entered/exited, Parallel and Map phases, Map iterations. */
export const stateEvents = {
  entered: (stateType: string, name: string, input: JsonValue) =>
    event(`${stateType}StateEntered`, 'stateEnteredEventDetails', {
      name,
      input: jsonText(input),
      inputDetails: { truncated: false },
    }),
  exited: (stateType: string, name: string, output: JsonValue | undefined) =>
    event(`${stateType}StateExited`, 'stateExitedEventDetails', {
      name,
      output: jsonText(output),
      outputDetails: { truncated: false },
    }),
  /** ParallelStateStarted, MapStateSucceeded, …: no details. */
  phase: (stateType: 'Map' | 'Parallel', phase: 'Started' | 'Succeeded' | 'Failed') =>
    event(`${stateType}State${phase}`),
  mapIteration: (phase: 'Started' | 'Succeeded' | 'Failed', name: string, index: number) =>
    event(`MapIteration${phase}`, `mapIteration${phase}EventDetails`, { name, index }),
};

/** The events of one task attempt, named as AWS names them for the resource's kind. */
export interface TaskEvents {
  scheduled(parameters: JsonValue, timeoutSeconds?: number, heartbeatSeconds?: number): NewHistoryEvent;
  started(): NewHistoryEvent;
  /** TaskSubmitted: the callback task's work was handed over and it now waits for its token. */
  submitted?(output: JsonValue): NewHistoryEvent;
  succeeded(output: JsonValue): NewHistoryEvent;
  failed(error: string, cause: string): NewHistoryEvent;
  timedOut(error: string, cause: string): NewHistoryEvent;
}

/** TaskScheduled, TaskStarted, … for service integrations (the optimized Lambda one included). */
export function serviceTaskEvents(names: ResourceNames, region: string): TaskEvents {
  const base = { resourceType: names.resourceType, resource: names.resource };
  return {
    scheduled: (parameters, timeoutInSeconds, heartbeatInSeconds) =>
      event(
        'TaskScheduled',
        'taskScheduledEventDetails',
        defined({ ...base, region, parameters: jsonText(parameters), timeoutInSeconds, heartbeatInSeconds }),
      ),
    started: () => event('TaskStarted', 'taskStartedEventDetails', base),
    submitted: (output) =>
      event('TaskSubmitted', 'taskSubmittedEventDetails', {
        ...base,
        output: jsonText(output),
        outputDetails: { truncated: false },
      }),
    succeeded: (output) =>
      event('TaskSucceeded', 'taskSucceededEventDetails', {
        ...base,
        output: jsonText(output),
        outputDetails: { truncated: false },
      }),
    failed: (error, cause) => event('TaskFailed', 'taskFailedEventDetails', { ...base, error, cause }),
    timedOut: (error, cause) => event('TaskTimedOut', 'taskTimedOutEventDetails', { ...base, error, cause }),
  };
}

/** LambdaFunctionScheduled, … for a bare function ARN as Resource (the legacy form). */
export function lambdaFunctionEvents(functionArn: string): TaskEvents {
  return {
    scheduled: (input, timeoutInSeconds) =>
      event(
        'LambdaFunctionScheduled',
        'lambdaFunctionScheduledEventDetails',
        defined({
          resource: functionArn,
          input: jsonText(input),
          inputDetails: { truncated: false },
          timeoutInSeconds,
        }),
      ),
    started: () => event('LambdaFunctionStarted'),
    succeeded: (output) =>
      event('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
        output: jsonText(output),
        outputDetails: { truncated: false },
      }),
    failed: (error, cause) => event('LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error, cause }),
    timedOut: (error, cause) => event('LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', { error, cause }),
  };
}

/** The task events for a binding: LambdaFunction* for a bare function ARN, Task* otherwise. */
export function taskEventsFor(binding: TaskBinding, region: string): TaskEvents {
  const { resource } = binding;
  return resource.kind === 'lambda-function'
    ? lambdaFunctionEvents(resource.functionArn)
    : serviceTaskEvents(resourceNames(resource.arn), region);
}
