import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import type { InvokeOutcome, LambdaInvoker } from '../../../local/lambda/types';
import { createStepFunctions, type StateMachineSpec, type StepFunctionsEmulator } from '../../../local/stepfunctions';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An approval function that only hands its task token to the test. */
class ApprovalFunction implements LambdaInvoker {
  private waiting: ((token: string) => void)[] = [];
  private tokens: string[] = [];

  async invoke(_name: string, payload: unknown): Promise<InvokeOutcome> {
    const token = (payload as { token: string }).token;
    const next = this.waiting.shift();
    if (next) next(token);
    else this.tokens.push(token);
    return { ok: true, payload: { notified: true } };
  }

  /** The token of the next approval request. */
  nextToken(): Promise<string> {
    const token = this.tokens.shift();
    if (token !== undefined) return Promise.resolve(token);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

function machine(name: string, task: object): StateMachineSpec {
  const definition = {
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'approval', Payload: { 'token.$': '$$.Task.Token', 'change.$': '$.change' } },
        Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.rejection', Next: 'Rejected' }],
        End: true,
        ...task,
      },
      Rejected: { Type: 'Pass', End: true },
    },
  };
  return {
    arn: arnOf(name),
    name,
    definition: JSON.stringify(definition),
    type: 'STANDARD',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`,
  };
}

const MACHINES = [
  machine('approval', {}),
  machine('deadline', {
    TimeoutSeconds: 1,
    Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Rejected' }],
  }),
  machine('heartbeat', { HeartbeatSeconds: 1, TimeoutSeconds: 10 }),
  machine('announce', {
    Resource: 'arn:aws:states:::events:putEvents.waitForTaskToken',
    Parameters: { Entries: [{ Detail: { 'token.$': '$$.Task.Token' }, DetailType: 'Approval', Source: 'gantry' }] },
  }),
];

describe('callback tasks (.waitForTaskToken)', () => {
  let edge: RunningEdge;
  let emulator: StepFunctionsEmulator;
  let client: SFNClient;
  let approvals: ApprovalFunction;

  beforeAll(async () => {
    approvals = new ApprovalFunction();
    emulator = await createStepFunctions({
      stateMachines: MACHINES,
      lambda: approvals,
      dataDir: mkdtempSync(join(tmpdir(), 'gantry-sfn-')),
      region: REGION,
      accountId: ACCOUNT,
    });
    edge = await startEdge({ port: 0, services: [emulator.service] });
    client = new SFNClient({
      endpoint: edge.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await emulator.close();
    await edge.close();
  });

  const start = async (name: string) =>
    (await client.send(new StartExecutionCommand({ stateMachineArn: arnOf(name), input: '{"change":"abc"}' })))
      .executionArn ?? '';

  const finished = async (executionArn: string): Promise<DescribeExecutionCommandOutput> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const out = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status !== 'RUNNING' || Date.now() > deadline) return out;
      await sleep(5);
    }
  };

  const types = async (executionArn: string) =>
    ((await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map((e) => e.type);

  it('waits for SendTaskSuccess and continues with its output', async () => {
    const arn = await start('approval');
    const token = await approvals.nextToken();
    expect((await client.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('RUNNING');
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy":"ops"}' }));
    expect(await finished(arn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approvedBy":"ops"}' });
    expect(await types(arn)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('fails the task with the error of SendTaskFailure, which Catch matches', async () => {
    const arn = await start('approval');
    const token = await approvals.nextToken();
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'not today' }));
    const out = await finished(arn);
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? '').rejection).toEqual({ Error: 'Rejected', Cause: 'not today' });
  });

  it('times out after TimeoutSeconds with States.Timeout, which States.TaskFailed does not catch', async () => {
    const arn = await start('deadline');
    const token = await approvals.nextToken();
    const out = await finished(arn);
    expect(out).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(await types(arn)).toContain('TaskTimedOut');
    await sleep(150);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('records a SendTaskFailure whose error is States.Timeout as TaskFailed alone, as AWS does: only its own timeout is TaskTimedOut', async () => {
    const arn = await start('approval');
    const token = await approvals.nextToken();
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'States.Timeout', cause: 'by hand' }));
    expect(await finished(arn)).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const seen = await types(arn);
    expect(seen).toContain('TaskFailed');
    expect(seen).not.toContain('TaskTimedOut');
  });

  it('keeps waiting while heartbeats arrive within HeartbeatSeconds', async () => {
    const arn = await start('heartbeat');
    const token = await approvals.nextToken();
    for (let i = 0; i < 3; i++) {
      await sleep(500);
      await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '"done"' }));
    expect(await finished(arn)).toMatchObject({ status: 'SUCCEEDED', output: '"done"' });
  });

  it('fails with States.HeartbeatTimeout when heartbeats stop', async () => {
    const arn = await start('heartbeat');
    await approvals.nextToken();
    const out = await finished(arn);
    expect(out).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    const events = (await client.send(new GetExecutionHistoryCommand({ executionArn: arn }))).events ?? [];
    expect(events.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toMatchObject({
      error: 'States.HeartbeatTimeout',
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
    });
    expect(events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails?.heartbeatInSeconds).toBe(1);
  });

  it('answers InvalidToken for a token it never issued, TaskTimedOut for one no task waits on', async () => {
    await expect(client.send(new SendTaskHeartbeatCommand({ taskToken: 'forged' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    const arn = await start('approval');
    const token = await approvals.nextToken();
    await client.send(new StopExecutionCommand({ executionArn: arn }));
    expect((await finished(arn)).status).toBe('ABORTED');
    await expect(client.send(new SendTaskHeartbeatCommand({ taskToken: token }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('refuses SendTaskSuccess output that is not JSON', async () => {
    const arn = await start('approval');
    const token = await approvals.nextToken();
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: 'nope' }))).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    await client.send(new StopExecutionCommand({ executionArn: arn }));
  });

  it('serves .waitForTaskToken for a registered integration, handing it the token', async () => {
    const tokens: string[] = [];
    emulator.registerIntegration('arn:aws:states:::events:putEvents', async (parameters, context) => {
      const entry = (parameters as { Entries: { Detail: { token: string } }[] }).Entries[0];
      tokens.push(entry?.Detail.token ?? '', context.taskToken ?? '');
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
    });
    const arn = await start('announce');
    while (tokens.length === 0) await sleep(5);
    expect(tokens[0]).toBe(tokens[1]);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[0] ?? '', output: '{"ok":true}' }));
    expect(await finished(arn)).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
  });
});
