import { isJsonObject, type JsonObject, type JsonValue } from '../eventbridge/json';

/** Where a state sits: at the top of the state machine, or inside a Parallel branch or a Map. */
export interface StateScope {
  /** Names of the Parallel/Map states enclosing this one, outermost first. */
  readonly parents: readonly string[];
}

/** Called for each state of a definition, nested ones included. */
export type StateVisitor = (name: string, state: JsonObject, scope: StateScope) => void;

/** The `States` of a definition (or of a branch), skipping anything that is not an object. */
export function statesOf(definition: JsonObject): [string, JsonObject][] {
  const states = definition.States;
  if (!isJsonObject(states)) return [];
  return Object.entries(states).filter((entry): entry is [string, JsonObject] => isJsonObject(entry[1]));
}

/** The nested definitions of a Parallel (its branches) or a Map (its item processor). */
export function childDefinitions(state: JsonObject): JsonObject[] {
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) return state.Branches.filter(isJsonObject);
  if (state.Type === 'Map') {
    const processor = state.ItemProcessor ?? state.Iterator;
    return isJsonObject(processor) ? [processor] : [];
  }
  return [];
}

/** Visits every state of a definition, those of nested branches and item processors included. */
export function forEachState(definition: JsonObject, visit: StateVisitor, scope: StateScope = { parents: [] }): void {
  for (const [name, state] of statesOf(definition)) {
    visit(name, state, scope);
    const inner = { parents: [...scope.parents, name] };
    for (const child of childDefinitions(state)) forEachState(child, visit, inner);
  }
}

/** Every string in a JSON value, for scans such as "does this state read `$$.State`". */
export function stringsIn(value: JsonValue, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, found);
  else if (isJsonObject(value)) for (const item of Object.values(value)) stringsIn(item, found);
  return found;
}

/** A state without its nested definitions, so scans of one state do not see its children. */
export function withoutChildren(state: JsonObject): JsonObject {
  const { Branches: _branches, ItemProcessor: _processor, Iterator: _iterator, ...rest } = state;
  return rest;
}
