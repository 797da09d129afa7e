import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';

/** Port: what pipeline steps ask of Step Functions about other executions and waiting tasks. */
export interface ExecutionControl {
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
  stopExecution(executionArn: string, error: string, cause: string): Promise<void>;
  /** Starts an execution with the given name; returns its ARN. */
  startExecution(stateMachineArn: string, name: string, input: unknown): Promise<string>;
  /** An execution's status (`RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`), or undefined when there is none. */
  executionStatus(executionArn: string): Promise<string | undefined>;
  /**
   * How the latest visit of the state named `state` (or `state <suffix>`: `Approval prod`) ended
   * its task, as Step Functions' own history records it: `timed_out` only when Step Functions
   * timed the task out itself. A SendTaskFailure whose error is `States.Timeout`, by anyone
   * holding the task token, is `failed`, however its error reads. The asking step's own attempts
   * (a retry's failed first try) are not that state's. Null when that state ended no task.
   */
  taskEndOf(executionArn: string, state: string): Promise<TaskEnd | null>;
}

export type TaskEnd = 'timed_out' | 'failed' | 'succeeded';

/** The history events that end a task, by how it ended (service integrations, Lambda and activity tasks alike). */
const TASK_ENDS: Readonly<Record<string, TaskEnd>> = {
  TaskTimedOut: 'timed_out',
  LambdaFunctionTimedOut: 'timed_out',
  ActivityTimedOut: 'timed_out',
  TaskFailed: 'failed',
  LambdaFunctionFailed: 'failed',
  ActivityFailed: 'failed',
  TaskSucceeded: 'succeeded',
  LambdaFunctionSucceeded: 'succeeded',
  ActivitySucceeded: 'succeeded',
};

/** Step Functions behind the ExecutionControl port. */
export class StepFunctionsControl implements ExecutionControl {
  constructor(private readonly sfn: SFNClient) {}

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) }));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_000) }));
  }

  async stopExecution(executionArn: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
  }

  async startExecution(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return out.executionArn ?? '';
  }

  async taskEndOf(executionArn: string, state: string): Promise<TaskEnd | null> {
    // Newest first: a task's end comes before (is newer than) the entry of the state it ran in.
    // The first end after each entry (its last attempt's) is that state's; only the named one counts.
    let ended: TaskEnd | undefined;
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          reverseOrder: true,
          maxResults: 100,
          nextToken,
          // The history's data holds every task token Gantry handed a step: never read it.
          includeExecutionData: false,
        }),
      );
      for (const event of page.events ?? []) {
        ended ??= TASK_ENDS[event.type ?? ''];
        if (event.type === 'TaskStateEntered') {
          const name = event.stateEnteredEventDetails?.name ?? '';
          if (name === state || name.startsWith(`${state} `)) return ended ?? null;
          ended = undefined;
        }
      }
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return null;
  }

  async executionStatus(executionArn: string): Promise<string | undefined> {
    try {
      return (await this.sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }
}
