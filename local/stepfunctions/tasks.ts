import type { JsonValue } from '../eventbridge/json';
import type { LambdaInvoker } from '../lambda/types';
import { secondsOf, type TaskBinding } from './bindings';
import { TaskFailure, TaskTimeout } from './errors';
import { type NewHistoryEvent, type TaskEvents, taskEventsFor } from './history-events';
import { invokeFunction, invokeOptimized, toJson } from './lambda-invoke';
import { MAX_TIMER_SECONDS } from './prepare';
import type { TaskTokens } from './tokens';

/** What an integration handler learns about the task it serves. */
export interface TaskContext {
  readonly executionArn: string;
  readonly stateName: string;
  /** Aborted when the task is over: its timeout passed, or the execution stopped or ended. */
  readonly signal: AbortSignal;
  /** The token of a `.waitForTaskToken` task (also in its Parameters wherever `$$.Task.Token` was). */
  readonly taskToken?: string;
}

/**
 * Serves a service integration (`arn:aws:states:::codebuild:startBuild.sync`, …) with the task's
 * effective Parameters. Its result becomes the task's result; throwing TaskFailure fails the task
 * with that error, anything else with States.TaskFailed.
 */
export type IntegrationHandler = (parameters: JsonValue, context: TaskContext) => Promise<unknown>;

/** What tasks share across executions. */
export interface TaskEnvironment {
  readonly lambda: LambdaInvoker;
  readonly tokens: TaskTokens;
  readonly integrations: ReadonlyMap<string, IntegrationHandler>;
  readonly region: string;
}

/** One execution, as its tasks see it. */
export interface ExecutionScope {
  readonly executionArn: string;
  readonly signal: AbortSignal;
  /** Stands for `$$.Task.Token` in the context object; each callback task puts its own token there. */
  readonly tokenPlaceholder: string;
  readonly record: (stateName: string, event: NewHistoryEvent) => void;
}

/** Grace after TimeoutSeconds before clean-up, so the engine's own States.Timeout always wins the race. */
const CLEANUP_GRACE_MS = 100;

/** Runs one attempt of a Task state on its local binding, recording the task's history events. */
export async function runTask(
  binding: TaskBinding,
  input: JsonValue,
  env: TaskEnvironment,
  scope: ExecutionScope,
): Promise<JsonValue> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (scope.signal.aborted) stop();
  scope.signal.addEventListener('abort', stop, { once: true });
  const timeoutSeconds = secondsOf(binding.timeout, input) ?? MAX_TIMER_SECONDS;
  const cleanup = setTimeout(stop, timeoutSeconds * 1000 + CLEANUP_GRACE_MS);
  try {
    return await attempt(binding, input, env, scope, controller.signal);
  } finally {
    clearTimeout(cleanup);
    scope.signal.removeEventListener('abort', stop);
    controller.abort();
  }
}

async function attempt(
  binding: TaskBinding,
  input: JsonValue,
  env: TaskEnvironment,
  scope: ExecutionScope,
  signal: AbortSignal,
): Promise<JsonValue> {
  const events = taskEventsFor(binding, env.region);
  const record = (event: NewHistoryEvent) => {
    if (!signal.aborted) scope.record(binding.stateName, event);
  };
  const start = starter(binding, env, { executionArn: scope.executionArn, stateName: binding.stateName, signal });
  const { resource } = binding;
  try {
    if (resource.kind !== 'lambda-function' && resource.waitForTaskToken) {
      return await callbackTask(events, record, { input, binding, env, scope, signal, start });
    }
    return await plainTask(events, record, input, binding, () => start(input));
  } catch (error) {
    const failure = asTaskFailure(error);
    const { error: name, causeText } = failure;
    record(failure instanceof TaskTimeout ? events.timedOut(name, causeText) : events.failed(name, causeText));
    throw failure;
  }
}

/** What starts the task's work: the function, or the integration (its base one for a callback task). */
function starter(binding: TaskBinding, env: TaskEnvironment, context: TaskContext): Starter {
  const { resource } = binding;
  switch (resource.kind) {
    case 'lambda-function':
      return (parameters) => invokeFunction(env.lambda, resource.functionArn, parameters);
    case 'lambda-invoke':
      return (parameters) => invokeOptimized(env.lambda, parameters);
    case 'integration': {
      const handler = integration(env, resource.waitForTaskToken ? resource.base : resource.arn);
      return (parameters, taskToken) => handler(parameters, { ...context, taskToken });
    }
  }
}

type Starter = (parameters: JsonValue, taskToken?: string) => Promise<JsonValue>;

type Recorder = (event: NewHistoryEvent) => void;

async function plainTask(
  events: TaskEvents,
  record: Recorder,
  input: JsonValue,
  binding: TaskBinding,
  work: () => Promise<JsonValue>,
): Promise<JsonValue> {
  record(events.scheduled(input, secondsOf(binding.timeout, input)));
  record(events.started());
  const output = await work();
  record(events.succeeded(output));
  return output;
}

interface CallbackTask {
  readonly input: JsonValue;
  readonly binding: TaskBinding;
  readonly env: TaskEnvironment;
  readonly scope: ExecutionScope;
  readonly signal: AbortSignal;
  readonly start: Starter;
}

/** `.waitForTaskToken`: start the work with a fresh token, then wait for SendTask* or a timeout. */
async function callbackTask(events: TaskEvents, record: Recorder, task: CallbackTask): Promise<JsonValue> {
  const { input, binding, env, scope, signal } = task;
  const heartbeatSeconds = secondsOf(binding.heartbeat, input);
  const ticket = env.tokens.issue({ heartbeatSeconds, signal });
  const parameters = withToken(input, scope.tokenPlaceholder, ticket.token);
  record(events.scheduled(parameters, secondsOf(binding.timeout, input), heartbeatSeconds));
  record(events.started());
  const submitted = await task.start(parameters, ticket.token);
  if (events.submitted) record(events.submitted(submitted));
  const output = await ticket.outcome;
  record(events.succeeded(output));
  return output;
}

function integration(env: TaskEnvironment, resource: string) {
  return async (parameters: JsonValue, context: TaskContext): Promise<JsonValue> => {
    const handler = env.integrations.get(resource);
    if (handler === undefined) {
      throw new TaskFailure('States.TaskFailed', `${resource} is not supported yet in Gantry local mode`);
    }
    return toJson(await handler(parameters, context));
  };
}

/** Puts the task's token wherever the placeholder for `$$.Task.Token` ended up in its input. */
function withToken(value: JsonValue, placeholder: string, token: string): JsonValue {
  if (typeof value === 'string') return value.includes(placeholder) ? value.split(placeholder).join(token) : value;
  if (Array.isArray(value)) return value.map((item) => withToken(item, placeholder, token));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, placeholder, token)]));
}

function asTaskFailure(error: unknown): TaskFailure {
  if (error instanceof TaskFailure) return error;
  return new TaskFailure('States.TaskFailed', error instanceof Error ? error.message : String(error));
}
