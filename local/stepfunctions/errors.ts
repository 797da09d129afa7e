/**
 * Base of the errors the local Step Functions emulator raises while loading state machines, so
 * local mode's start-up can tell "this definition cannot run here" from its own bugs.
 */
export class StepFunctionsDefinitionError extends Error {
  override readonly name: string = 'StepFunctionsDefinitionError';

  constructor(
    readonly stateMachine: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A definition the local engine would run differently from AWS (JSONata, `Assign`, distributed
 * Map, a Task resource with no local binding, …). Local mode refuses it instead of running it
 * wrong; `state` names the offending state when there is one.
 */
export class UnsupportedDefinitionError extends StepFunctionsDefinitionError {
  override readonly name = 'UnsupportedDefinitionError';

  constructor(
    stateMachine: string,
    readonly state: string | undefined,
    readonly reason: string,
  ) {
    super(
      stateMachine,
      `State machine "${stateMachine}"${state === undefined ? '' : `, state "${state}"`}: ${reason}. ` +
        'Gantry local mode refuses definitions it cannot run as AWS Step Functions would.',
    );
  }
}

/** A definition that is not valid Amazon States Language (the engine's validator says why). */
export class InvalidDefinitionError extends StepFunctionsDefinitionError {
  override readonly name = 'InvalidDefinitionError';

  constructor(stateMachine: string, reason: string, options?: { cause?: unknown }) {
    super(stateMachine, `State machine "${stateMachine}" has an invalid definition: ${reason}`, options);
  }
}

/**
 * A Task failure as Step Functions reports it. The engine matches Retry and Catch on an error's
 * `name` and puts its `message` in the Catch output's `Cause`, so `name` is the States error
 * (e.g. the Lambda's errorType) and `message` the cause. Integrations registered with the
 * emulator throw this to fail a task with a chosen error; anything else becomes States.TaskFailed.
 */
export class TaskFailure extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(causeText);
    this.name = error;
  }
}

/**
 * A task that ran out of time (heartbeat), recorded as TaskTimedOut rather than TaskFailed. The
 * engine's own `States.Timeout` (TimeoutSeconds) stays the engine's, so that `States.TaskFailed`
 * keeps not matching it.
 */
export class TaskTimeout extends TaskFailure {}

/** `States.Runtime`: as on AWS, neither Retry nor Catch (not even States.ALL) matches it. */
export class StatesRuntimeFailure extends TaskFailure {
  constructor(cause: string) {
    super('States.Runtime', cause);
  }

  /** Read by the engine's Retry matcher. */
  get isRetryable(): boolean {
    return false;
  }

  /** Read by the engine's Catch matcher. */
  get isCatchable(): boolean {
    return false;
  }
}
