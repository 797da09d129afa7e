import './polyfill';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { JsonObject } from '../eventbridge/json';
import type { ValidatedDefinitions } from './validated';

export { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';

/**
 * Builds the engine's state machine for a prepared definition. Validation (asl-validator) costs
 * ~150 ms for a small definition and about a second for the pipeline's, so callers build once per
 * definition and run every execution on the result, and a definition `validated` accepted before
 * is not validated again. The definition is plain JSON from the template; the engine's own
 * validator checks its shape, hence the cast to the engine's declared type.
 */
export function buildEngine(definition: JsonObject, validated?: ValidatedDefinitions): StateMachine {
  const text = validated === undefined ? undefined : JSON.stringify(definition);
  const known = text !== undefined && validated?.has(text) === true;
  const engine = new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: known ? { noValidate: true } : { checkPaths: true, checkArn: true },
  });
  if (text !== undefined && !known) validated?.add(text);
  return engine;
}
