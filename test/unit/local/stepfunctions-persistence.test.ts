import { appendFileSync, cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import type { LambdaInvoker } from '../../../local/lambda/types';
import {
  createStepFunctions,
  type ExecutionEvent,
  RESTARTED_ERROR,
  STOPPED_ERROR,
  type StateMachineSpec,
  type StepFunctionsEmulator,
} from '../../../local/stepfunctions';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const echo: LambdaInvoker = { invoke: async (_name, payload) => ({ ok: true, payload }) };

function machine(name: string, definition: object): StateMachineSpec {
  return {
    arn: arnOf(name),
    name,
    definition: JSON.stringify(definition),
    type: 'STANDARD',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`,
  };
}

const QUICK = machine('quick', { StartAt: 'Done', States: { Done: { Type: 'Pass', Result: 'v1', End: true } } });
const QUICK_V2 = machine('quick', { StartAt: 'Done', States: { Done: { Type: 'Pass', Result: 'v2', End: true } } });
const SLOW = machine('slow', { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 600, End: true } } });

/** One local Step Functions on a data folder, reached through the real SDK client. */
class Local {
  private constructor(
    readonly events: ExecutionEvent[],
    readonly emulator: StepFunctionsEmulator,
    private readonly edge: RunningEdge,
    readonly client: SFNClient,
  ) {}

  static async open(dataDir: string, machines: StateMachineSpec[] = [QUICK, SLOW]): Promise<Local> {
    const events: ExecutionEvent[] = [];
    const emulator = await createStepFunctions({
      stateMachines: machines,
      lambda: echo,
      dataDir,
      region: REGION,
      accountId: ACCOUNT,
      onEvent: (event) => events.push(event),
    });
    const edge = await startEdge({ port: 0, services: [emulator.service] });
    const client = new SFNClient({
      endpoint: edge.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    return new Local(events, emulator, edge, client);
  }

  async start(name: string, executionName: string): Promise<string> {
    const out = await this.client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf(name), name: executionName, input: '{"n":1}' }),
    );
    return out.executionArn ?? '';
  }

  async describe(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    return this.client.send(new DescribeExecutionCommand({ executionArn }));
  }

  async settled(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const out = await this.describe(executionArn);
      if (out.status !== 'RUNNING' || Date.now() > deadline) return out;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async history(executionArn: string) {
    return (await this.client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.emulator.close();
    await this.edge.close();
  }
}

describe('persistence across restarts', () => {
  const opened: Local[] = [];
  const open = async (dataDir: string, machines?: StateMachineSpec[]) => {
    const local = await Local.open(dataDir, machines);
    opened.push(local);
    return local;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((local) => local.close()));
  });

  it('keeps finished executions, their history and their definition', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sfn-'));
    const first = await open(dataDir);
    const arn = await first.start('quick', 'kept');
    const before = await first.settled(arn);
    const historyBefore = await first.history(arn);
    await first.close();

    const second = await open(dataDir, [QUICK_V2, SLOW]);
    expect(await second.describe(arn)).toMatchObject({
      status: 'SUCCEEDED',
      output: '"v1"',
      startDate: before.startDate,
      stopDate: before.stopDate,
    });
    expect(await second.history(arn)).toEqual(historyBefore);
    const listed = await second.client.send(new ListExecutionsCommand({ stateMachineArn: arnOf('quick') }));
    expect(listed.executions?.map((e) => e.name)).toEqual(['kept']);
    const ran = await second.client.send(new DescribeStateMachineForExecutionCommand({ executionArn: arn }));
    expect(ran.definition).toBe(QUICK.definition);
    await expect(second.start('quick', 'kept')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('records executions still running at close as aborted by the shutdown', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sfn-'));
    const first = await open(dataDir);
    const arn = await first.start('slow', 'interrupted');
    await first.close();
    expect(first.events.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionAborted']);

    const second = await open(dataDir);
    expect(await second.describe(arn)).toMatchObject({ status: 'ABORTED', error: STOPPED_ERROR });
    expect(second.events).toEqual([]);
  });

  it('marks executions a crash left running as FAILED with Gantry.LocalRuntimeRestarted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sfn-'));
    const first = await open(dataDir);
    const arn = await first.start('slow', 'crashed');
    await first.describe(arn);
    // Files are written synchronously, so a copy taken now is what a kill -9 would leave behind.
    const crashed = mkdtempSync(join(tmpdir(), 'gantry-sfn-crash-'));
    cpSync(dataDir, crashed, { recursive: true });

    const second = await open(crashed);
    const out = await second.describe(arn);
    expect(out).toMatchObject({ status: 'FAILED', error: RESTARTED_ERROR });
    expect(out.cause).toContain('cannot resume');
    expect(out.stopDate).toBeInstanceOf(Date);
    const events = await second.history(arn);
    expect(events.map((e) => [e.id, e.type])).toEqual([
      [1, 'ExecutionStarted'],
      [2, 'WaitStateEntered'],
      [3, 'ExecutionFailed'],
    ]);
    expect(events.at(-1)?.executionFailedEventDetails?.error).toBe(RESTARTED_ERROR);
    expect(second.events).toEqual([{ type: 'ExecutionFailed', executionArn: arn, stateMachineArn: arnOf('slow') }]);
  });

  it('skips a history line torn by a crash mid-write', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sfn-'));
    const first = await open(dataDir);
    const arn = await first.start('quick', 'torn');
    await first.settled(arn);
    const events = await first.history(arn);
    await first.close();
    const folder = join(dataDir, 'executions');
    for (const key of readdirSync(folder)) appendFileSync(join(folder, key, 'history.jsonl'), '{"id":99,"ty');

    const second = await open(dataDir);
    expect(await second.history(arn)).toEqual(events);
  });
});
