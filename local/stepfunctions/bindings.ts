import type { JsonObject, JsonValue } from '../eventbridge/json';
import { compileJsonPath, type JsonPath, readJsonPath } from '../eventbridge/jsonpath';
import { forEachState } from './asl';
import { UnsupportedDefinitionError } from './errors';
import { clampSeconds, isCallbackTask } from './prepare';
import { classifyResource, type TaskResource } from './resources';
import { compressedSeconds } from './test-hooks';

/** A duration from the definition: fixed, or read from the task's effective input. */
export type Duration = { readonly seconds: number } | { readonly path: JsonPath };

/** What the emulator needs to run one Task state of a definition. */
export interface TaskBinding {
  readonly stateName: string;
  readonly resource: TaskResource;
  /** TimeoutSeconds(Path), clamped to Node's timer limit; absent means AWS's 99999999, clamped too. */
  readonly timeout: Duration | undefined;
  readonly heartbeat: Duration | undefined;
}

/** The parts of a definition the emulator looks up by state name while an execution runs. */
export interface MachineLayout {
  /** Each state's Type as written (the engine's copy turns some Wait and Pass states into Tasks). */
  readonly stateTypes: ReadonlyMap<string, string>;
  readonly tasks: ReadonlyMap<string, TaskBinding>;
}

/**
 * Reads the state types and binds every Task state, throwing UnsupportedDefinitionError for a
 * resource nothing local can serve. `registered` says whether an integration handler exists.
 */
export function layoutOf(
  stateMachine: string,
  definition: JsonObject,
  registered: (resource: string) => boolean,
  callbackTimeoutScale = 1,
): MachineLayout {
  const stateTypes = new Map<string, string>();
  const tasks = new Map<string, TaskBinding>();
  forEachState(definition, (name, state) => {
    stateTypes.set(name, typeof state.Type === 'string' ? state.Type : 'Unknown');
    if (state.Type !== 'Task') return;
    const arn = typeof state.Resource === 'string' ? state.Resource : '';
    const classified = classifyResource(arn, registered);
    if ('reason' in classified) throw new UnsupportedDefinitionError(stateMachine, name, classified.reason);
    const scale = isCallbackTask(state) ? callbackTimeoutScale : 1;
    tasks.set(name, {
      stateName: name,
      resource: classified.resource,
      timeout: durationOf(state, 'TimeoutSeconds', scale),
      heartbeat: durationOf(state, 'HeartbeatSeconds', scale),
    });
  });
  return { stateTypes, tasks };
}

/** A fixed duration is compressed by `scale` (a test hook); one read from a path is not. */
function durationOf(
  state: JsonObject,
  field: 'TimeoutSeconds' | 'HeartbeatSeconds',
  scale: number,
): Duration | undefined {
  const seconds = state[field];
  if (typeof seconds === 'number') return { seconds: clampSeconds(compressedSeconds(seconds, scale)) };
  const text = state[`${field}Path`];
  const path = typeof text === 'string' ? compileJsonPath(text, true) : undefined;
  return path === undefined ? undefined : { path };
}

/** Seconds of a duration for one task input; undefined when absent or its path leads to no positive integer. */
export function secondsOf(duration: Duration | undefined, input: JsonValue): number | undefined {
  if (duration === undefined) return undefined;
  if ('seconds' in duration) return duration.seconds;
  const value = readJsonPath(input, duration.path);
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? clampSeconds(value) : undefined;
}
