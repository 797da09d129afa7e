import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import type { InvokeOutcome, LambdaInvoker } from '../../../local/lambda/types';
import { createStepFunctions, type StepFunctionsEmulator } from '../../../local/stepfunctions';
import { StepFunctionsControl, type TaskEnd } from '../../../shared/aws/step-functions';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:approval-then-record`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The pipeline's shape around a failed approval: the Approval task, its Catch to a Pass state,
 * then RecordFailure, whose first attempt fails (throttled) and is retried. RecordFailure asks
 * each time how the Approval ended.
 */
const DEFINITION = {
  StartAt: 'Approval prod',
  States: {
    'Approval prod': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 1,
      Parameters: { FunctionName: 'approval', Payload: { 'token.$': '$$.Task.Token' } },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed approval' }],
      End: true,
    },
    'Failed approval': { Type: 'Pass', Result: 'approval', ResultPath: '$.stage', Next: 'RecordFailure' },
    RecordFailure: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'record', Payload: { 'execution.$': '$$.Execution.Id' } },
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2 }],
      End: true,
    },
  },
};

class Functions implements LambdaInvoker {
  control: StepFunctionsControl | undefined;
  readonly seen: (TaskEnd | null)[] = [];
  async invoke(name: string, payload: unknown): Promise<InvokeOutcome> {
    if (name === 'approval') return { ok: true, payload: {} };
    const execution = (payload as { execution: string }).execution;
    this.seen.push((await this.control?.taskEndOf(execution, 'Approval')) ?? null);
    return this.seen.length === 1
      ? { ok: false, errorType: 'ThrottlingException', errorMessage: 'throttled', trace: [] }
      : { ok: true, payload: {} };
  }
}

describe("StepFunctionsControl.taskEndOf: how a named state's task ended, from Step Functions' history", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sfn-history-'));
  const functions = new Functions();
  let edge: RunningEdge;
  let emulator: StepFunctionsEmulator;
  let client: SFNClient;
  beforeAll(async () => {
    emulator = await createStepFunctions({
      stateMachines: [
        {
          arn: MACHINE,
          name: 'approval-then-record',
          definition: JSON.stringify(DEFINITION),
          type: 'STANDARD',
          roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`,
        },
      ],
      lambda: functions,
      dataDir,
      region: REGION,
      accountId: ACCOUNT,
    });
    edge = await startEdge({ port: 0, services: [emulator.service] });
    client = new SFNClient({
      endpoint: edge.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    functions.control = new StepFunctionsControl(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
    await edge.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers the Approval's own timeout, also to a retry whose first attempt failed after it", async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: '{}' }));
    for (let i = 0; i < 200; i++) {
      const { status } = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (status !== 'RUNNING') break;
      await sleep(50);
    }
    // Read newest-first, the retry's own failed attempt would be the first task end it meets.
    expect(functions.seen).toEqual(['timed_out', 'timed_out']);
  }, 30_000);
});
