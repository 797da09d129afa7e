import { isJsonObject, type JsonObject, type JsonValue } from '../eventbridge/json';
import { statesOf } from './asl';
import { compressedSeconds } from './test-hooks';

/** Node's timers overflow past 2^31-1 ms (~24.8 days) and then fire at once: every duration is clamped below. */
export const MAX_TIMER_SECONDS = Math.floor(0x7fffffff / 1000);

/** The Resource of states the emulator runs itself in place of the engine (see SyntheticState). */
export const SYNTHETIC_RESOURCE = 'arn:aws:states:::gantry:localState';

/**
 * A Wait or Pass state the engine would get wrong, run as a Task bound to the emulator instead:
 * Waits on a timestamp or a path (the engine's timer would overflow or could not be clamped), and
 * Pass states whose Result is falsy (the engine ignores `Result: false`, `0` or `""`).
 */
export type SyntheticState =
  | {
      readonly kind: 'wait';
      readonly name: string;
      /** Every wait is this many times shorter than the definition says (local time compression). */
      readonly timeScale: number;
    }
  | { readonly kind: 'constant'; readonly name: string; readonly value: JsonValue }
  | {
      readonly kind: 'hash';
      readonly name: string;
      /** Parameters (by key) that are `States.Hash(<path>, <algorithm>)`: the engine's SHA-256 is wrong past 55 bytes. */
      readonly hashes: Readonly<Record<string, string>>;
    };

/** A definition ready for the engine, with the states the emulator runs itself. */
export interface PreparedDefinition {
  /** What the engine runs: AWS defaults filled in, durations clamped, engine quirks avoided. */
  readonly engine: JsonObject;
  readonly synthetic: ReadonlyMap<string, SyntheticState>;
}

export interface PrepareOptions {
  /** Divides every Wait state's duration (Seconds, SecondsPath, time to a Timestamp). @default 1 */
  readonly timeScale?: number;
  /** Divides the timeouts of `.waitForTaskToken` tasks (a test hook, see TestHooks). @default 1 */
  readonly callbackTimeoutScale?: number;
}

/**
 * The engine's copy of a definition. Task TimeoutSeconds defaults to AWS's 99999999 (the engine
 * uses the ASL spec's 60), clamped like every other duration; `ResultPath: "$"` is dropped (the
 * engine writes a key named "$" instead of replacing the input; "$" is the default anyway).
 * With a time scale, every Wait runs as a synthetic state, since the engine waits whole seconds.
 */
export function prepareDefinition(definition: JsonObject, options: PrepareOptions = {}): PreparedDefinition {
  const synthetic = new Map<string, SyntheticState>();
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  const callbackTimeoutScale = options.callbackTimeoutScale ?? 1;
  const engine = prepareMachine(definition, { synthetic, timeScale, callbackTimeoutScale });
  if (typeof definition.TimeoutSeconds === 'number') engine.TimeoutSeconds = clampSeconds(definition.TimeoutSeconds);
  return { engine, synthetic };
}

/** Seconds a Node timer can wait for. */
export function clampSeconds(seconds: number): number {
  return Math.min(seconds, MAX_TIMER_SECONDS);
}

/** What preparing one definition collects and needs. */
interface Preparation {
  readonly synthetic: Map<string, SyntheticState>;
  readonly timeScale: number;
  readonly callbackTimeoutScale: number;
}

function prepareMachine(definition: JsonObject, prep: Preparation): JsonObject {
  const states = statesOf(definition).map(([name, state]) => [name, prepareState(name, state, prep)]);
  return { ...definition, States: Object.fromEntries(states) };
}

function prepareState(name: string, state: JsonObject, prep: Preparation): JsonObject {
  switch (state.Type) {
    case 'Task':
      return withFixedResultPaths(withTaskDurations(state, prep.callbackTimeoutScale));
    case 'Wait':
      return prepareWait(name, state, prep);
    case 'Pass':
      return preparePass(name, state, prep);
    case 'Parallel': {
      const branches = Array.isArray(state.Branches) ? state.Branches : [];
      return withFixedResultPaths({
        ...state,
        Branches: branches.map((b) => (isJsonObject(b) ? prepareMachine(b, prep) : b)),
      });
    }
    case 'Map':
      return withFixedResultPaths(prepareMap(state, prep));
    case 'Choice':
      return { ...state, Choices: (Array.isArray(state.Choices) ? state.Choices : []).map(fixTypeTests) };
    default:
      return state;
  }
}

/** Choice operators the engine evaluates as always false when set to `false`. */
const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

/**
 * The engine answers `{"IsNull": false}` (and the other type tests set to false) with false
 * whatever the value, where AWS means "is not null". `{"Not": {..., "IsNull": true}}` is what
 * AWS evaluates the same way and the engine gets right.
 */
export function fixTypeTests(rule: JsonValue): JsonValue {
  if (!isJsonObject(rule)) return rule;
  const test = TYPE_TESTS.find((t) => rule[t] === false);
  if (test !== undefined) {
    const { Next, ...condition } = rule;
    const positive: JsonObject = { ...condition, [test]: true };
    return Next === undefined ? { Not: positive } : { Not: positive, Next };
  }
  const out: JsonObject = { ...rule };
  for (const key of ['And', 'Or'] as const) {
    const list = rule[key];
    if (Array.isArray(list)) out[key] = list.map(fixTypeTests);
  }
  if (rule.Not !== undefined) out.Not = fixTypeTests(rule.Not);
  return out;
}

function prepareMap(state: JsonObject, prep: Preparation): JsonObject {
  const key = isJsonObject(state.ItemProcessor) ? 'ItemProcessor' : 'Iterator';
  const processor = state[key];
  return isJsonObject(processor) ? { ...state, [key]: prepareMachine(processor, prep) } : state;
}

function withTaskDurations(state: JsonObject, callbackTimeoutScale: number): JsonObject {
  const out = { ...state };
  const scale = isCallbackTask(state) ? callbackTimeoutScale : 1;
  if (typeof state.TimeoutSeconds === 'number')
    out.TimeoutSeconds = clampSeconds(compressedSeconds(state.TimeoutSeconds, scale));
  else if (state.TimeoutSecondsPath === undefined) out.TimeoutSeconds = MAX_TIMER_SECONDS;
  if (typeof state.HeartbeatSeconds === 'number')
    out.HeartbeatSeconds = clampSeconds(compressedSeconds(state.HeartbeatSeconds, scale));
  return out;
}

/** A Task that waits for SendTask* (`.waitForTaskToken`): what callbackTimeoutScale compresses. */
export function isCallbackTask(state: JsonObject): boolean {
  return typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
}

function withFixedResultPaths(state: JsonObject): JsonObject {
  const out = withoutRootResultPath(state);
  if (Array.isArray(state.Retry)) out.Retry = state.Retry.map((r) => (isJsonObject(r) ? clampRetrier(r) : r));
  if (Array.isArray(state.Catch)) out.Catch = state.Catch.map((c) => (isJsonObject(c) ? withoutRootResultPath(c) : c));
  return out;
}

function withoutRootResultPath(object: JsonObject): JsonObject {
  if (object.ResultPath !== '$') return { ...object };
  const { ResultPath: _root, ...rest } = object;
  return rest;
}

/** Backoff can grow past the timer limit: MaxDelaySeconds caps it (the engine honours it). */
function clampRetrier(retrier: JsonObject): JsonObject {
  const max = typeof retrier.MaxDelaySeconds === 'number' ? clampSeconds(retrier.MaxDelaySeconds) : MAX_TIMER_SECONDS;
  return { ...retrier, MaxDelaySeconds: max };
}

function prepareWait(name: string, state: JsonObject, { synthetic, timeScale }: Preparation): JsonObject {
  if (typeof state.Seconds === 'number' && timeScale === 1) return { ...state, Seconds: clampSeconds(state.Seconds) };
  synthetic.set(name, { kind: 'wait', name, timeScale });
  const parameters: JsonObject = { 'input.$': '$' };
  if (typeof state.Seconds === 'number') parameters.seconds = state.Seconds;
  else if (typeof state.SecondsPath === 'string') parameters['seconds.$'] = state.SecondsPath;
  else if (typeof state.TimestampPath === 'string') parameters['timestamp.$'] = state.TimestampPath;
  else if (typeof state.Timestamp === 'string') parameters.timestamp = state.Timestamp;
  return syntheticTask(state, ['Comment', 'InputPath', 'OutputPath', 'Next', 'End'], parameters);
}

/** `States.Hash(<path>, '<algorithm>')` as a whole parameter value (a nested intrinsic is not matched). */
const HASH = /^States\.Hash\((\$[^,()']*),\s*'(MD5|SHA-1|SHA-256|SHA-384|SHA-512)'\)$/;

function preparePass(name: string, state: JsonObject, { synthetic }: Preparation): JsonObject {
  const hashed = hashParameters(state.Parameters);
  if (hashed !== undefined) {
    // The engine pads a message of 56 bytes or more wrongly, so its hashes of long strings differ
    // from AWS's: the emulator hashes them (the engine still evaluates each path).
    synthetic.set(name, { kind: 'hash', name, hashes: hashed.hashes });
    return withoutRootResultPath(
      syntheticTask(state, ['Comment', 'InputPath', 'ResultPath', 'OutputPath', 'Next', 'End'], hashed.parameters),
    );
  }
  const result = state.Result;
  if (!('Result' in state) || result === undefined || result) return withoutRootResultPath(state);
  synthetic.set(name, { kind: 'constant', name, value: result });
  return withoutRootResultPath(
    syntheticTask(state, ['Comment', 'InputPath', 'ResultPath', 'OutputPath', 'Next', 'End'], undefined),
  );
}

function hashParameters(
  parameters: JsonValue | undefined,
): { parameters: JsonObject; hashes: Record<string, string> } | undefined {
  if (!isJsonObject(parameters)) return undefined;
  const hashes: Record<string, string> = {};
  const rewritten: JsonObject = {};
  for (const [key, value] of Object.entries(parameters)) {
    const match = key.endsWith('.$') && typeof value === 'string' ? HASH.exec(value) : null;
    if (match === null || value === undefined) rewritten[key] = value as JsonValue;
    else {
      hashes[key.slice(0, -2)] = match[2] ?? 'SHA-256';
      rewritten[key] = match[1] ?? '$';
    }
  }
  return Object.keys(hashes).length === 0 ? undefined : { parameters: rewritten, hashes };
}

function syntheticTask(state: JsonObject, keep: readonly string[], parameters: JsonObject | undefined): JsonObject {
  const task: JsonObject = { Type: 'Task', Resource: SYNTHETIC_RESOURCE, TimeoutSeconds: MAX_TIMER_SECONDS };
  for (const key of keep) {
    const value = state[key];
    if (value !== undefined) task[key] = value;
  }
  if (parameters !== undefined) task.Parameters = parameters;
  return task;
}
