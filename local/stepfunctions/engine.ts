import './polyfill';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { JsonObject } from '../eventbridge/json';

export { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';

/**
 * Builds the engine's state machine for a prepared definition. Validation (asl-validator) costs
 * ~150 ms, so callers build once per definition and run every execution on the result. The
 * definition is plain JSON from the template; the engine's own validator checks its shape, hence
 * the cast to the engine's declared type.
 */
export function buildEngine(definition: JsonObject): StateMachine {
  return new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
}
