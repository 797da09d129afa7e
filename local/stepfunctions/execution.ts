import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../eventbridge/json';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from './engine';
import { executionEvents, type HistoryEventRecord, jsonText, type NewHistoryEvent } from './history-events';
import type { LoadedMachine } from './machines';
import { type EngineEvent, HistoryRecorder } from './recorder';
import type { ExecutionRecord, ExecutionStore, HistoryWriter } from './store';
import { runSynthetic } from './synthetic';
import { type ExecutionScope, runTask, type TaskEnvironment } from './tasks';
import type { ExecutionEventType } from './types';

/** What executions share. */
export interface ExecutionDeps {
  readonly env: TaskEnvironment;
  readonly store: ExecutionStore;
  readonly notify: (type: ExecutionEventType, record: ExecutionRecord) => void;
}

type Ending = Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>;

/**
 * One running execution on the engine: it records the history as the execution goes (each event
 * appended to the store as it happens) and the final record when it ends, however it ends.
 */
export class Execution {
  private record: ExecutionRecord;
  private readonly controller = new AbortController();
  private readonly history: HistoryWriter;
  private lastEventId = 0;
  private stopRequest: { error?: string; cause?: string } | undefined;
  private abortEngine: () => void = () => undefined;
  /** Settles once the final record and the terminal history event are written. */
  readonly done: Promise<void>;

  constructor(
    private readonly machine: LoadedMachine,
    record: ExecutionRecord,
    private readonly deps: ExecutionDeps,
  ) {
    this.record = record;
    deps.store.saveRecord(record);
    this.history = deps.store.openHistory(record.executionArn);
    this.append(executionEvents.started(record.input, record.roleArn));
    deps.notify('ExecutionStarted', record);
    this.done = this.run(JSON.parse(record.input) as JsonValue);
  }

  get current(): ExecutionRecord {
    return this.record;
  }

  /** StopExecution: aborts the run and resolves with the final (ABORTED) record. */
  async stop(error?: string, cause?: string): Promise<ExecutionRecord> {
    if (this.record.status === 'RUNNING' && this.stopRequest === undefined) {
      this.stopRequest = { error, cause };
      this.controller.abort();
      this.abortEngine();
    }
    await this.done;
    return this.record;
  }

  private async run(input: JsonValue): Promise<void> {
    const recorder = new HistoryRecorder(this.machine.layout, this.deps.env.region, (e) => this.append(e));
    const scope: ExecutionScope = {
      executionArn: this.record.executionArn,
      signal: this.controller.signal,
      tokenPlaceholder: `gantry-task-token-${randomUUID()}`,
      record: (stateName, event) => recorder.task(stateName, event),
    };
    const run = this.machine.engine.run(input, {
      overrides: { taskResourceLocalHandlers: this.handlers(scope) },
      context: this.context(scope.tokenPlaceholder),
    });
    this.abortEngine = run.abort;
    const [ending] = await Promise.all([endingOf(run.result), consume(run.eventLogs, recorder)]);
    this.controller.abort();
    recorder.flushAll();
    this.finish(ending.status === 'ABORTED' ? { status: 'ABORTED', ...this.stopRequest } : ending);
  }

  private handlers(scope: ExecutionScope): Record<string, (input: JsonValue) => Promise<JsonValue>> {
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [name, binding] of this.machine.layout.tasks) {
      handlers[name] = (input) => runTask(binding, input, this.deps.env, scope);
    }
    for (const [name, state] of this.machine.synthetic) {
      handlers[name] = (input) => runSynthetic(state, input, scope.signal);
    }
    return handlers;
  }

  /** The context object AWS gives (`$$`); the engine itself adds Execution.Input and StartTime. */
  private context(tokenPlaceholder: string) {
    const { executionArn, name, roleArn, stateMachineArn, stateMachineName } = this.record;
    return {
      Execution: { Id: executionArn, Name: name, RoleArn: roleArn, RedriveCount: 0 },
      StateMachine: { Id: stateMachineArn, Name: stateMachineName },
      Task: { Token: tokenPlaceholder },
    };
  }

  private finish(ending: Ending): void {
    const { status, output, error, cause } = ending;
    if (status === 'SUCCEEDED') this.append(executionEvents.succeeded(output ?? 'null'));
    else if (status === 'FAILED') this.append(executionEvents.failed(error, cause));
    else if (status === 'ABORTED') this.append(executionEvents.aborted(error, cause));
    else this.append(executionEvents.timedOut(error, cause));
    this.history.close();
    this.record = { ...this.record, ...ending, stopDate: Date.now() };
    this.deps.store.saveRecord(this.record);
    this.deps.notify(TERMINAL_EVENTS[status], this.record);
  }

  private append(event: NewHistoryEvent): void {
    if (this.record.status !== 'RUNNING') return;
    const numbered: HistoryEventRecord = { ...event, id: this.lastEventId + 1, previousEventId: this.lastEventId };
    this.lastEventId = numbered.id;
    this.history.append(numbered);
  }
}

const TERMINAL_EVENTS: Record<ExecutionRecord['status'], ExecutionEventType> = {
  RUNNING: 'ExecutionStarted',
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  ABORTED: 'ExecutionAborted',
  TIMED_OUT: 'ExecutionTimedOut',
};

/** Reads the engine's log to its end, handing state-level events to the recorder. */
async function consume(events: AsyncGenerator<EngineEvent>, recorder: HistoryRecorder): Promise<void> {
  for await (const event of events) recorder.engine(event);
}

/** How the engine's run ended, in DescribeExecution's terms. */
async function endingOf(result: Promise<JsonValue>): Promise<Ending> {
  try {
    return { status: 'SUCCEEDED', output: jsonText(await result) };
  } catch (error) {
    if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
    if (error instanceof ExecutionTimeoutError) {
      return {
        status: 'TIMED_OUT',
        error: 'States.Timeout',
        cause: 'The execution ran longer than its TimeoutSeconds',
      };
    }
    const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
    return { status: 'FAILED', ...errorAndCause(failure) };
  }
}

/** The engine reports a failure as the error's name and its cause (or message). */
function errorAndCause(failure: unknown): { error: string; cause: string } {
  if (!(failure instanceof Error)) return { error: 'States.Runtime', cause: String(failure) };
  const cause = failure.cause === undefined ? failure.message : failure.cause;
  return { error: failure.name, cause: typeof cause === 'string' ? cause : JSON.stringify(cause) };
}
