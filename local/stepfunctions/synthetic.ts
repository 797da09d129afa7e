import { createHash } from 'node:crypto';
import { isJsonObject, type JsonValue } from '../eventbridge/json';
import { StatesRuntimeFailure } from './errors';
import { MAX_TIMER_SECONDS, type SyntheticState } from './prepare';

/** Longest local wait: under the Task timeout the engine's copy gives a synthetic state. */
const MAX_WAIT_MS = (MAX_TIMER_SECONDS - 1) * 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Runs a state the emulator took over from the engine (see SyntheticState). */
export function runSynthetic(state: SyntheticState, input: JsonValue, signal: AbortSignal): Promise<JsonValue> {
  if (state.kind === 'constant') return Promise.resolve(state.value);
  if (state.kind === 'hash') return Promise.resolve(hashed(state.hashes, input));
  return waitFor(input, state.timeScale, signal);
}

const NODE_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** A Pass state's parameters with each `States.Hash` computed as AWS does (hex of the UTF-8 string). */
function hashed(hashes: Readonly<Record<string, string>>, parameters: JsonValue): JsonValue {
  if (!isJsonObject(parameters)) throw new StatesRuntimeFailure('Pass state parameters are missing');
  const out = { ...parameters };
  for (const [key, algorithm] of Object.entries(hashes)) {
    const value = parameters[key];
    if (typeof value !== 'string')
      throw new StatesRuntimeFailure(`States.Hash of ${key}: the value to hash is not a string`);
    out[key] = createHash(NODE_ALGORITHMS[algorithm] ?? 'sha256')
      .update(value, 'utf8')
      .digest('hex');
  }
  return out;
}

/** A Wait (scaled down by `timeScale`); the engine's copy hands it `{input, seconds | timestamp}`. */
async function waitFor(parameters: JsonValue, timeScale: number, signal: AbortSignal): Promise<JsonValue> {
  if (!isJsonObject(parameters)) throw new StatesRuntimeFailure('Wait state parameters are missing');
  const input = parameters.input ?? null;
  await sleep(Math.min(delayMs(parameters.seconds, parameters.timestamp) / timeScale, MAX_WAIT_MS), signal);
  return input;
}

function delayMs(seconds: JsonValue | undefined, timestamp: JsonValue | undefined): number {
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StatesRuntimeFailure(`SecondsPath evaluated to ${JSON.stringify(seconds)}, not a non-negative integer`);
    }
    return seconds * 1000;
  }
  if (typeof timestamp !== 'string' || !RFC3339.test(timestamp)) {
    throw new StatesRuntimeFailure(`Timestamp ${JSON.stringify(timestamp ?? null)} is not an RFC 3339 timestamp`);
  }
  return Math.max(0, Date.parse(timestamp) - Date.now());
}

/** Resolves after `ms`, or at once when `signal` aborts (the execution is over then). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
