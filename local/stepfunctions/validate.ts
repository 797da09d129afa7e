import { isJsonObject, type JsonObject } from '../eventbridge/json';
import { compileJsonPath } from '../eventbridge/jsonpath';
import { forEachState, type StateScope, stringsIn, withoutChildren } from './asl';
import { UnsupportedDefinitionError } from './errors';

/** Fields that only mean something in JSONata or variables, which the local engine ignores silently. */
const JSONATA_FIELDS = ['Assign', 'Arguments', 'Output', 'Items', 'Condition'] as const;
/** Map fields of the distributed mode, which the local engine does not implement. */
const DISTRIBUTED_FIELDS = [
  'ItemReader',
  'ResultWriter',
  'ItemBatcher',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
  'Label',
] as const;
/** Dynamic durations the emulator evaluates itself (for heartbeats and clean-up), hence simple paths only. */
const DURATION_PATHS = ['TimeoutSecondsPath', 'HeartbeatSecondsPath'] as const;

const STATE_CONTEXT = /\$\$\.State\b/;
const WHOLE_CONTEXT = /\$\$(?![.\w])/;
/** Inside branches and iterations the engine resets Execution.Input and StartTime to the branch's own. */
const BRANCH_EXECUTION = /\$\$\.Execution(?!\.(?:Id|Name|RoleArn|RedriveCount)\b)/;

/**
 * Throws UnsupportedDefinitionError for the first thing in `definition` that aws-local-stepfunctions
 * would run differently from AWS: JSONata and variables, distributed Map, context fields it does
 * not provide, and state names reused across branches (its overrides are keyed by state name).
 */
export function refuseUnsupported(stateMachine: string, definition: JsonObject): void {
  if (definition.QueryLanguage === 'JSONata') {
    throw new UnsupportedDefinitionError(stateMachine, undefined, 'QueryLanguage JSONata is not supported locally');
  }
  const seen = new Set<string>();
  forEachState(definition, (name, state, scope) => {
    if (seen.has(name)) {
      throw new UnsupportedDefinitionError(
        stateMachine,
        name,
        'the state name is used more than once across branches; the local engine binds tasks by state name',
      );
    }
    seen.add(name);
    const reason = refusalOf(state, scope);
    if (reason !== undefined) throw new UnsupportedDefinitionError(stateMachine, name, reason);
  });
}

function refusalOf(state: JsonObject, scope: StateScope): string | undefined {
  if (state.QueryLanguage === 'JSONata') return 'QueryLanguage JSONata is not supported locally';
  const jsonata = jsonataField(state);
  if (jsonata !== undefined) return `the ${jsonata} field (JSONata or variables) is not supported locally`;
  if (state.Type === 'Map') {
    const distributed = distributedMapField(state);
    if (distributed !== undefined) return `distributed Map (${distributed}) is not supported locally`;
  }
  const path = DURATION_PATHS.find((field) => field in state && !simplePath(state[field]));
  if (path !== undefined) return `${path} must be a plain path such as $.timeoutSeconds locally`;
  const afterParameters = DURATION_PATHS.find((field) => field in state && 'Parameters' in state);
  if (afterParameters !== undefined) {
    // AWS reads it from the state's input; the local engine reads it from the Parameters' output.
    return `${afterParameters} with Parameters: the local engine would read the path from the Parameters' output, not the state's input; use ${afterParameters.replace('Path', '')}`;
  }
  return resultPathRefusal(state) ?? contextRefusal(state, scope);
}

/** The engine drops everything before the first "$." of a ResultPath, so "$['key']" lands elsewhere. */
function resultPathRefusal(state: JsonObject): string | undefined {
  const catchers = Array.isArray(state.Catch) ? state.Catch.filter(isJsonObject) : [];
  const paths = [state.ResultPath, ...catchers.map((c) => c.ResultPath)];
  const bad = paths.find((p) => typeof p === 'string' && p !== '$' && !p.startsWith('$.'));
  return bad === undefined ? undefined : `ResultPath ${String(bad)} needs dot notation after "$" locally`;
}

/** A JSONata or variables field on the state, one of its Choice rules or one of its catchers. */
function jsonataField(state: JsonObject): string | undefined {
  const rules = [state.Choices, state.Catch].flatMap((list) => (Array.isArray(list) ? list.filter(isJsonObject) : []));
  for (const object of [state, ...rules]) {
    const field = JSONATA_FIELDS.find((name) => name in object);
    if (field !== undefined) return field;
  }
  return undefined;
}

function distributedMapField(state: JsonObject): string | undefined {
  const field = DISTRIBUTED_FIELDS.find((name) => name in state);
  if (field !== undefined) return field;
  const processor = state.ItemProcessor;
  const config = isJsonObject(processor) ? processor.ProcessorConfig : undefined;
  return isJsonObject(config) && config.Mode === 'DISTRIBUTED' ? 'ProcessorConfig.Mode DISTRIBUTED' : undefined;
}

function contextRefusal(state: JsonObject, scope: StateScope): string | undefined {
  const strings = stringsIn(withoutChildren(state));
  if (strings.some((s) => STATE_CONTEXT.test(s))) return 'the context object has no $$.State locally';
  if (scope.parents.length === 0) return undefined;
  if (strings.some((s) => WHOLE_CONTEXT.test(s) || BRANCH_EXECUTION.test(s))) {
    return 'inside a branch or iteration the local engine gives $$.Execution.Input and StartTime the branch’s own values';
  }
  return undefined;
}

function simplePath(value: unknown): boolean {
  return typeof value === 'string' && compileJsonPath(value, true) !== undefined;
}
