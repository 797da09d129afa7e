import type { MachineLayout } from './bindings';
import type { StateMachine } from './engine';
import { type NewHistoryEvent, stateEvents, taskEventsFor } from './history-events';

/** An event of the engine's log (the package does not export the type). */
export type EngineEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type StateEvent = Extract<EngineEvent, { state: unknown }>;

/**
 * Merges the engine's event log (read asynchronously, so it lags) with the task events the
 * emulator records as tasks run, into one history in AWS's terms. A task event waits until its
 * state's entry has been read from the log, so TaskScheduled always follows TaskStateEntered.
 */
export class HistoryRecorder {
  private readonly open = new Map<string, number>();
  private readonly pending = new Map<string, NewHistoryEvent[]>();
  /** States whose task code recorded how this visit's task ended (a SendTaskFailure's TaskFailed, say). */
  private readonly ended = new Set<string>();

  constructor(
    private readonly layout: MachineLayout,
    private readonly region: string,
    private readonly append: (event: NewHistoryEvent) => void,
  ) {}

  /** A task event, from the emulator's task code. */
  task(stateName: string, event: NewHistoryEvent): void {
    if (/(Succeeded|Failed|TimedOut)$/.test(event.type)) this.ended.add(stateName);
    if ((this.open.get(stateName) ?? 0) > 0) this.append(event);
    else this.pending.set(stateName, [...(this.pending.get(stateName) ?? []), event]);
  }

  /** An event read from the engine's log; execution-level events are the execution's to record. */
  engine(event: EngineEvent): void {
    if ('state' in event) this.stateEvent(event);
    else if (
      event.type === 'MapIterationStarted' ||
      event.type === 'MapIterationSucceeded' ||
      event.type === 'MapIterationFailed'
    ) {
      const phase = event.type.slice('MapIteration'.length) as 'Started' | 'Succeeded' | 'Failed';
      this.add(stateEvents.mapIteration(phase, event.parentState.name, event.index), event.timestamp);
    }
  }

  /** Task events still waiting for their state's entry (the execution is ending). */
  flushAll(): void {
    for (const name of [...this.pending.keys()]) this.flush(name);
  }

  private stateEvent(event: StateEvent): void {
    const { name } = event.state;
    const type = this.layout.stateTypes.get(name) ?? event.state.type;
    switch (event.type) {
      case 'StateEntered':
        this.ended.delete(name);
        this.add(stateEvents.entered(type, name, event.state.input), event.timestamp);
        this.phase(type, 'Started', event.timestamp);
        this.reopen(name);
        break;
      case 'StateRetried':
        this.ended.delete(name);
        this.reopen(name);
        break;
      case 'StateFailed':
        this.flush(name);
        this.failed(name, type, event.Error, event.timestamp);
        this.close(name);
        break;
      case 'StateCaught':
        this.flush(name);
        break;
      case 'StateExited':
        this.flush(name);
        this.phase(type, 'Succeeded', event.timestamp);
        this.add(stateEvents.exited(type, name, event.state.output), event.timestamp);
        this.close(name);
        break;
    }
  }

  /**
   * The engine's own TimeoutSeconds expiry is the one task outcome the task code never sees (it
   * records nothing once aborted). A `States.Timeout` the task code did see, a SendTaskFailure by
   * hand with that error, is its TaskFailed alone, as on AWS: not also a TaskTimedOut.
   */
  private failed(name: string, type: string, error: string, timestamp: number): void {
    const binding = this.layout.tasks.get(name);
    const seen = this.ended.delete(name);
    if (binding !== undefined && error === 'States.Timeout' && !seen) {
      const cause = 'The task ran longer than its TimeoutSeconds';
      this.add(taskEventsFor(binding, this.region).timedOut(error, cause), timestamp);
    }
    this.phase(type, 'Failed', timestamp);
  }

  private phase(type: string, phase: 'Started' | 'Succeeded' | 'Failed', timestamp: number): void {
    if (type === 'Map' || type === 'Parallel') this.add(stateEvents.phase(type, phase), timestamp);
  }

  private reopen(name: string): void {
    this.open.set(name, (this.open.get(name) ?? 0) + 1);
    this.flush(name);
  }

  private close(name: string): void {
    this.open.set(name, Math.max(0, (this.open.get(name) ?? 0) - 1));
  }

  private flush(name: string): void {
    const events = this.pending.get(name);
    this.pending.delete(name);
    for (const event of events ?? []) this.append(event);
  }

  private add(event: NewHistoryEvent, timestamp: number): void {
    this.append({ ...event, timestamp });
  }
}
