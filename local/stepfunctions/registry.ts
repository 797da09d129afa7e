import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../edge/aws-json';
import { Execution, type ExecutionDeps } from './execution';
import { executionEvents, type HistoryEventRecord } from './history-events';
import type { LoadedMachine } from './machines';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore } from './store';

/** The error an execution gets when local mode restarts under it. */
export const RESTARTED_ERROR = 'Gantry.LocalRuntimeRestarted';
const RESTARTED_CAUSE =
  'Gantry local mode stopped while this execution was running, and the local engine cannot resume an execution ' +
  'where it left off; it was marked failed when local mode started again. Start a new execution to run it again.';
/** The error of executions still running when local mode shuts down cleanly. */
export const STOPPED_ERROR = 'Gantry.LocalRuntimeStopped';
const STOPPED_CAUSE = 'Gantry local mode shut down while this execution was running.';

/** Every execution this emulator knows: running ones in memory, all of them in the store. */
export class ExecutionRegistry {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Execution>();
  private nextSeq = 1;
  private closing = false;

  constructor(
    private readonly store: ExecutionStore,
    private readonly deps: ExecutionDeps,
  ) {}

  /**
   * Loads the stored executions. Those the store still has as RUNNING died with the previous
   * process: they are marked FAILED (error Gantry.LocalRuntimeRestarted), never resumed silently.
   */
  load(): void {
    for (const stored of this.store.loadRecords()) {
      const record = stored.status === 'RUNNING' ? this.failRestarted(stored) : stored;
      this.records.set(record.executionArn, record);
      this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
    }
  }

  start(machine: LoadedMachine, executionArn: string, name: string, input: string): ExecutionRecord {
    if (this.closing) throw new AwsServiceError('ServiceUnavailable', 'The local Step Functions is shutting down', 503);
    const { spec } = machine;
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: spec.arn,
      stateMachineName: spec.name,
      name,
      seq: this.nextSeq++,
      definitionHash: this.store.saveDefinition(spec.definition),
      roleArn: spec.roleArn,
      input,
      startDate: Date.now(),
      status: 'RUNNING',
    };
    this.records.set(executionArn, record);
    const execution = new Execution(machine, record, this.deps);
    this.running.set(executionArn, execution);
    const settle = () => {
      this.records.set(executionArn, execution.current);
      this.running.delete(executionArn);
    };
    execution.done.then(settle, settle);
    return record;
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.running.get(executionArn)?.current ?? this.records.get(executionArn);
  }

  /** Executions of a state machine, newest first. */
  of(stateMachineArn: string): ExecutionRecord[] {
    return [...this.records.keys()]
      .map((arn) => this.get(arn))
      .filter((r): r is ExecutionRecord => r?.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.seq - a.seq);
  }

  /** Stops a running execution; a finished one is returned as it is. */
  async stop(executionArn: string, error?: string, cause?: string): Promise<ExecutionRecord | undefined> {
    const execution = this.running.get(executionArn);
    return execution === undefined ? this.records.get(executionArn) : execution.stop(error, cause);
  }

  history(executionArn: string): HistoryEventRecord[] {
    return this.store.readHistory(executionArn);
  }

  definitionOf(record: ExecutionRecord): string | undefined {
    return this.store.readDefinition(record.definitionHash);
  }

  /** Stops every running execution (ABORTED, Gantry.LocalRuntimeStopped) and waits for their records. */
  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.running.values()].map((e) => e.stop(STOPPED_ERROR, STOPPED_CAUSE)));
  }

  private failRestarted(record: ExecutionRecord): ExecutionRecord {
    const lastEvent = this.store.readHistory(record.executionArn).at(-1);
    const ended = lastEvent === undefined ? undefined : endingOf(lastEvent);
    if (ended !== undefined) {
      const finished = { ...record, ...ended };
      this.store.saveRecord(finished);
      return finished;
    }
    const last = lastEvent?.id ?? 0;
    const writer = this.store.openHistory(record.executionArn);
    writer.append({ ...executionEvents.failed(RESTARTED_ERROR, RESTARTED_CAUSE), id: last + 1, previousEventId: last });
    writer.close();
    const failed: ExecutionRecord = {
      ...record,
      status: 'FAILED',
      stopDate: Date.now(),
      error: RESTARTED_ERROR,
      cause: RESTARTED_CAUSE,
    };
    this.store.saveRecord(failed);
    this.deps.notify('ExecutionFailed', failed);
    return failed;
  }
}

/** A fresh execution name, as StartExecution picks one when none is given. */
export function generatedName(): string {
  return randomUUID();
}

const TERMINAL_STATUS: Readonly<Record<string, ExecutionStatus>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/**
 * The ending a terminal history event records: the process died after writing it but before
 * replacing the record, so the execution did end, and as the event says.
 */
function endingOf(event: HistoryEventRecord): Partial<ExecutionRecord> | undefined {
  const status = TERMINAL_STATUS[event.type];
  if (status === undefined) return undefined;
  const text = (key: string) => {
    const value = event.details?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  return { status, stopDate: event.timestamp, output: text('output'), error: text('error'), cause: text('cause') };
}
