import { isJsonObject, type JsonObject } from '../eventbridge/json';
import { layoutOf, type MachineLayout } from './bindings';
import { buildEngine, type StateMachine } from './engine';
import { InvalidDefinitionError } from './errors';
import { type PrepareOptions, prepareDefinition, type SyntheticState } from './prepare';
import { sha256 } from './store';
import type { StateMachineSpec } from './types';
import { refuseUnsupported } from './validate';
import type { ValidatedDefinitions } from './validated';

/** A state machine ready to run: its engine built once, its tasks bound. */
export interface LoadedMachine {
  readonly spec: StateMachineSpec;
  readonly layout: MachineLayout;
  readonly synthetic: ReadonlyMap<string, SyntheticState>;
  readonly engine: StateMachine;
}

/**
 * Loads every state machine, refusing (UnsupportedDefinitionError) what the local engine cannot
 * run faithfully. Identical engine definitions share one engine, since building one validates the
 * whole definition (~150 ms) and an engine runs any number of executions; definitions `validated`
 * accepted before are not validated again.
 */
export function loadMachines(
  specs: readonly StateMachineSpec[],
  registered: (resource: string) => boolean,
  options: PrepareOptions = {},
  validated?: ValidatedDefinitions,
): Map<string, LoadedMachine> {
  const engines = new Map<string, StateMachine>();
  const machines = new Map<string, LoadedMachine>();
  for (const spec of specs) machines.set(spec.arn, loadMachine(spec, registered, engines, options, validated));
  return machines;
}

function loadMachine(
  spec: StateMachineSpec,
  registered: (resource: string) => boolean,
  engines: Map<string, StateMachine>,
  options: PrepareOptions,
  validated: ValidatedDefinitions | undefined,
): LoadedMachine {
  const definition = parseDefinition(spec);
  refuseUnsupported(spec.name, definition);
  const layout = layoutOf(spec.name, definition, registered, options.callbackTimeoutScale);
  const prepared = prepareDefinition(definition, options);
  const key = sha256(JSON.stringify(prepared.engine));
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = build(spec.name, prepared.engine, validated);
    engines.set(key, engine);
  }
  return { spec, layout, synthetic: prepared.synthetic, engine };
}

function parseDefinition(spec: StateMachineSpec): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec.definition);
  } catch (error) {
    throw new InvalidDefinitionError(spec.name, 'the definition is not JSON', { cause: error });
  }
  if (!isJsonObject(parsed)) throw new InvalidDefinitionError(spec.name, 'the definition is not a JSON object');
  return parsed;
}

function build(name: string, definition: JsonObject, validated: ValidatedDefinitions | undefined): StateMachine {
  try {
    return buildEngine(definition, validated);
  } catch (error) {
    throw new InvalidDefinitionError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
