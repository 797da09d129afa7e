export { createStepFunctions } from './emulator';
export {
  InvalidDefinitionError,
  StatesRuntimeFailure,
  StepFunctionsDefinitionError,
  TaskFailure,
  TaskTimeout,
  UnsupportedDefinitionError,
} from './errors';
export { RESTARTED_ERROR, STOPPED_ERROR } from './registry';
export type { IntegrationHandler, TaskContext } from './tasks';
export type {
  ExecutionEvent,
  ExecutionEventType,
  StateMachineSpec,
  StepFunctionsEmulator,
  StepFunctionsOptions,
} from './types';
