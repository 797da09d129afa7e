import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import type { InvokeOutcome, LambdaInvoker } from '../../../local/lambda/types';
import {
  createStepFunctions,
  type ExecutionEvent,
  type StateMachineSpec,
  type StepFunctionsEmulator,
} from '../../../local/stepfunctions';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo`;

type FakeFunction = (payload: unknown) => InvokeOutcome | Promise<InvokeOutcome>;

/** A LambdaInvoker whose functions are test closures; it keeps every call. */
class FakeLambda implements LambdaInvoker {
  readonly calls: { name: string; payload: unknown }[] = [];
  constructor(private readonly functions: Record<string, FakeFunction>) {}

  async invoke(name: string, payload: unknown): Promise<InvokeOutcome> {
    this.calls.push({ name, payload });
    const fn = this.functions[name];
    return fn ? fn(payload) : { ok: false, errorType: 'ResourceNotFoundException', errorMessage: name, trace: [] };
  }
}

const ok = (payload: unknown): InvokeOutcome => ({ ok: true, payload });
const fail = (errorType: string, errorMessage: string): InvokeOutcome => ({
  ok: false,
  errorType,
  errorMessage,
  trace: [`${errorType}: ${errorMessage}`, '    at handler (index.js:1:1)'],
});

function machine(name: string, definition: object): StateMachineSpec {
  return {
    arn: arnOf(name),
    name,
    definition: JSON.stringify(definition),
    type: 'STANDARD',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`,
  };
}

const invoke = (functionName: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionName, 'Payload.$': '$' },
  ...extra,
});

const MACHINES = [
  machine('echo', { StartAt: 'Call', States: { Call: invoke('echo', { End: true }) } }),
  machine('listed', { StartAt: 'Call', States: { Call: invoke('echo', { End: true }) } }),
  machine('legacy', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: FUNCTION_ARN, End: true } } }),
  machine('flaky', {
    StartAt: 'Call',
    States: {
      Call: invoke('flaky', {
        Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 0, MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: ['Boom'], ResultPath: '$.failure', Next: 'Recover' }],
        End: true,
      }),
      Recover: { Type: 'Pass', End: true },
    },
  }),
  machine('boom', { StartAt: 'Call', States: { Call: invoke('boom', { End: true }) } }),
  machine('slow', { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } }),
  machine('steps', {
    StartAt: 'One',
    States: {
      One: { Type: 'Pass', Result: { step: 1 }, Next: 'Two' },
      Two: { Type: 'Pass', Parameters: { 'id.$': '$$.Execution.Id', 'machine.$': '$$.StateMachine.Name' }, End: true },
    },
  }),
];

describe('the local Step Functions API', () => {
  let edge: RunningEdge;
  let emulator: StepFunctionsEmulator;
  let client: SFNClient;
  let lambda: FakeLambda;
  const events: ExecutionEvent[] = [];
  let flakyCalls: number;

  beforeAll(async () => {
    lambda = new FakeLambda({
      echo: (payload) => ok(payload),
      [FUNCTION_ARN]: (payload) => ok({ legacy: payload }),
      flaky: () => (++flakyCalls === 1 ? fail('Transient', 'try again') : fail('Boom', 'it broke')),
      boom: () => fail('Boom', 'it broke'),
    });
    emulator = await createStepFunctions({
      stateMachines: MACHINES,
      lambda,
      dataDir: mkdtempSync(join(tmpdir(), 'gantry-sfn-')),
      region: REGION,
      accountId: ACCOUNT,
      onEvent: (event) => events.push(event),
    });
    edge = await startEdge({ port: 0, services: [emulator.service] });
    client = new SFNClient({
      endpoint: edge.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  beforeEach(() => {
    flakyCalls = 0;
    events.length = 0;
    lambda.calls.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await emulator.close();
    await edge.close();
  });

  const start = async (name: string, input: object = {}, executionName?: string) => {
    const out = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf(name), input: JSON.stringify(input), name: executionName }),
    );
    return out.executionArn ?? '';
  };

  const finished = async (executionArn: string): Promise<DescribeExecutionCommandOutput> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const out = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status !== 'RUNNING' || Date.now() > deadline) return out;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  const history = async (executionArn: string): Promise<HistoryEvent[]> =>
    (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];

  describe('Lambda tasks', () => {
    it('answers lambda:invoke with the optimized integration output and the payload parsed', async () => {
      const out = await finished(await start('echo', { commit: 'abc' }));
      expect(out.status).toBe('SUCCEEDED');
      expect(JSON.parse(out.output ?? '')).toMatchObject({
        ExecutedVersion: '$LATEST',
        Payload: { commit: 'abc' },
        StatusCode: 200,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: expect.any(String) },
      });
      expect(lambda.calls).toEqual([{ name: 'echo', payload: { commit: 'abc' } }]);
    });

    it('passes the effective input to a bare function ARN and returns its payload as is', async () => {
      const arn = await start('legacy', { n: 1 });
      expect(JSON.parse((await finished(arn)).output ?? '')).toEqual({ legacy: { n: 1 } });
      expect((await history(arn)).map((e) => e.type)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
    });

    it('retries a function error by its errorType, then catches the next one by name with a Lambda cause', async () => {
      const out = await finished(await start('flaky', { run: 1 }));
      expect(out.status).toBe('SUCCEEDED');
      expect(flakyCalls).toBe(2);
      const failure = JSON.parse(out.output ?? '').failure;
      expect(failure.Error).toBe('Boom');
      expect(JSON.parse(failure.Cause)).toEqual({
        errorMessage: 'it broke',
        errorType: 'Boom',
        trace: ['Boom: it broke', '    at handler (index.js:1:1)'],
      });
    });

    it('fails the execution with the function error when nothing catches it', async () => {
      const arn = await start('boom');
      const out = await finished(arn);
      expect(out).toMatchObject({ status: 'FAILED', error: 'Boom' });
      expect(JSON.parse(out.cause ?? '')).toMatchObject({ errorType: 'Boom', errorMessage: 'it broke' });
      const events = await history(arn);
      expect(events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails).toEqual({
        resourceType: 'lambda',
        resource: 'invoke',
        region: REGION,
        parameters: '{"FunctionName":"boom","Payload":{}}',
      });
      expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
        resourceType: 'lambda',
        resource: 'invoke',
        error: 'Boom',
      });
      expect(events.at(-1)?.executionFailedEventDetails?.error).toBe('Boom');
    });

    it('gives the context object the execution and state machine', async () => {
      const arn = await start('steps');
      expect(JSON.parse((await finished(arn)).output ?? '')).toEqual({ id: arn, machine: 'steps' });
    });
  });

  describe('StartExecution', () => {
    it('is idempotent for the same name and input while the execution runs', async () => {
      const first = await client.send(
        new StartExecutionCommand({ stateMachineArn: arnOf('slow'), name: 'run-1', input: '{"a":1}' }),
      );
      const again = await client.send(
        new StartExecutionCommand({ stateMachineArn: arnOf('slow'), name: 'run-1', input: '{"a":1}' }),
      );
      expect(again.executionArn).toBe(first.executionArn);
      expect(again.startDate).toEqual(first.startDate);
      await expect(
        client.send(new StartExecutionCommand({ stateMachineArn: arnOf('slow'), name: 'run-1', input: '{"a":2}' })),
      ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    });

    it('refuses a used name once the execution has ended', async () => {
      await finished(await start('echo', {}, 'once'));
      await expect(start('echo', {}, 'once')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    });

    it.each([
      ['with a space', 'has space'],
      ['with a colon', 'a:b'],
      ['with a control character', 'a\u0007b'],
      ['longer than 80 characters', 'x'.repeat(81)],
    ])('refuses a name %s', async (_label, name) => {
      await expect(start('echo', {}, name)).rejects.toMatchObject({ name: 'InvalidName' });
    });

    it('accepts an 80-character name and names the execution after it', async () => {
      const arn = await start('echo', {}, 'n'.repeat(80));
      expect(arn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:echo:${'n'.repeat(80)}`);
    });

    it('refuses an input that is not JSON', async () => {
      await expect(
        client.send(new StartExecutionCommand({ stateMachineArn: arnOf('echo'), input: '{nope' })),
      ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    });

    it('answers StateMachineDoesNotExist, ExecutionDoesNotExist and InvalidArn as AWS does', async () => {
      await expect(start('missing')).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
      await expect(
        client.send(
          new DescribeExecutionCommand({ executionArn: `${arnOf('echo').replace('stateMachine', 'execution')}:x` }),
        ),
      ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
      await expect(client.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' }))).rejects.toMatchObject({
        name: 'InvalidArn',
      });
    });
  });

  it('stops a running execution: ABORTED, with the error and cause given', async () => {
    const arn = await start('slow');
    const out = await client.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Cancelled', cause: 'by test' }),
    );
    expect(out.stopDate).toBeInstanceOf(Date);
    expect(await finished(arn)).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by test' });
    const last = (await history(arn)).at(-1);
    expect(last).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Cancelled', cause: 'by test' },
    });
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionAborted']);
  });

  describe('GetExecutionHistory', () => {
    it('numbers events in order, each following the one before', async () => {
      const arn = await start('steps');
      await finished(arn);
      const events = await history(arn);
      expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
        [1, 0, 'ExecutionStarted'],
        [2, 1, 'PassStateEntered'],
        [3, 2, 'PassStateExited'],
        [4, 3, 'PassStateEntered'],
        [5, 4, 'PassStateExited'],
        [6, 5, 'ExecutionSucceeded'],
      ]);
      expect(events[0]?.timestamp).toBeInstanceOf(Date);
      expect(events[0]?.executionStartedEventDetails).toEqual({
        input: '{}',
        inputDetails: { truncated: false },
        roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`,
      });
      expect(events[2]?.stateExitedEventDetails).toEqual({
        name: 'One',
        output: '{"step":1}',
        outputDetails: { truncated: false },
      });
    });

    it('pages with nextToken, forwards and in reverse, and can leave out execution data', async () => {
      const arn = await start('steps');
      await finished(arn);
      const pages = async (reverseOrder: boolean) => {
        const ids: number[] = [];
        let nextToken: string | undefined;
        do {
          const out = await client.send(
            new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 4, reverseOrder, nextToken }),
          );
          ids.push(...(out.events ?? []).map((e) => e.id ?? 0));
          nextToken = out.nextToken;
        } while (nextToken);
        return ids;
      };
      expect(await pages(false)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await pages(true)).toEqual([6, 5, 4, 3, 2, 1]);
      const bare = await client.send(
        new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1, includeExecutionData: false }),
      );
      expect(bare.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
      await expect(
        client.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken: 'bogus' })),
      ).rejects.toMatchObject({ name: 'InvalidToken' });
    });
  });

  it('lists executions newest first, filtered by status and paged', async () => {
    await finished(await start('listed', {}, 'first'));
    await finished(await start('listed', {}, 'second'));
    const page1 = await client.send(new ListExecutionsCommand({ stateMachineArn: arnOf('listed'), maxResults: 1 }));
    expect(page1.executions?.map((e) => e.name)).toEqual(['second']);
    const page2 = await client.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('listed'), maxResults: 1, nextToken: page1.nextToken }),
    );
    expect(page2.executions?.map((e) => e.name)).toEqual(['first']);
    expect(page2.nextToken).toBeUndefined();
    const running = await start('slow');
    const slow = await client.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('slow'), statusFilter: 'RUNNING' }),
    );
    expect(slow.executions?.map((e) => e.executionArn)).toContain(running);
    expect(slow.executions?.every((e) => e.status === 'RUNNING')).toBe(true);
    const none = await client.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('slow'), statusFilter: 'FAILED' }),
    );
    expect(none.executions).toEqual([]);
  });

  it('describes state machines with their definition as written', async () => {
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: arnOf('slow') }));
    expect(described).toMatchObject({ name: 'slow', status: 'ACTIVE', type: 'STANDARD' });
    expect(described.definition).toBe(MACHINES.find((m) => m.name === 'slow')?.definition);
    const listed = await client.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((m) => m.name)).toEqual([
      'boom',
      'echo',
      'flaky',
      'legacy',
      'listed',
      'slow',
      'steps',
    ]);
    const arn = await start('echo');
    const forExecution = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: arn }));
    expect(forExecution).toMatchObject({ stateMachineArn: arnOf('echo'), definition: MACHINES[0]?.definition });
  });

  it('answers UnknownOperationException for operations local mode does not implement', async () => {
    await expect(client.send(new DeleteStateMachineCommand({ stateMachineArn: arnOf('echo') }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
  });
});
