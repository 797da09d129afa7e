import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import type { LambdaInvoker } from '../../../local/lambda/types';
import {
  createStepFunctions,
  InvalidDefinitionError,
  type StateMachineSpec,
  type StepFunctionsEmulator,
  TaskFailure,
  UnsupportedDefinitionError,
} from '../../../local/stepfunctions';
import { loadMachines } from '../../../local/stepfunctions/machines';
import { installPromiseWithResolvers } from '../../../local/stepfunctions/polyfill';
import { fixTypeTests, MAX_TIMER_SECONDS, prepareDefinition } from '../../../local/stepfunctions/prepare';
import { ValidatedDefinitions } from '../../../local/stepfunctions/validated';

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

const single = (state: object) => ({ StartAt: 'Only', States: { Only: { End: true, ...state } } });
const pass = { Type: 'Pass' };
const branches = (...states: object[]) => ({
  Type: 'Parallel',
  Branches: states.map((state) => single(state)),
});

const load = (definition: object) => loadMachines([machine('pipeline', definition)], () => false);

describe('loading definitions', () => {
  it.each<[string, object, string | undefined]>([
    ['JSONata as the query language', { QueryLanguage: 'JSONata', ...single(pass) }, undefined],
    ['JSONata in one state', single({ ...pass, QueryLanguage: 'JSONata' }), 'Only'],
    ['variables (Assign)', single({ ...pass, Assign: { commit: 'abc' } }), 'Only'],
    ['JSONata Arguments', single({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: {} }), 'Only'],
    ['JSONata Output', single({ ...pass, Output: '{% $states.input %}' }), 'Only'],
    [
      'variables in a Choice rule',
      {
        StartAt: 'Pick',
        States: {
          Pick: {
            Type: 'Choice',
            Choices: [{ Variable: '$.a', IsPresent: true, Assign: { a: 1 }, Next: 'Done' }],
            Default: 'Done',
          },
          Done: { ...pass, End: true },
        },
      },
      'Pick',
    ],
    [
      'a distributed Map',
      single({
        Type: 'Map',
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...single(pass) },
      }),
      'Only',
    ],
    ['a Map with an ItemReader', single({ Type: 'Map', ItemReader: {}, ItemProcessor: single(pass) }), 'Only'],
    ['a Map with a ResultWriter', single({ Type: 'Map', ResultWriter: {}, ItemProcessor: single(pass) }), 'Only'],
    ['a Map with an ItemBatcher', single({ Type: 'Map', ItemBatcher: {}, ItemProcessor: single(pass) }), 'Only'],
    [
      'a state name used in two branches',
      { StartAt: 'Fork', States: { Fork: { ...branches(pass, pass), End: true } } },
      'Only',
    ],
    ['an activity', single({ Type: 'Task', Resource: `arn:aws:states:${REGION}:${ACCOUNT}:activity:review` }), 'Only'],
    [
      'an unbound service',
      single({ Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: {} }),
      'Only',
    ],
    ['the $$.State context', single({ ...pass, Parameters: { 'name.$': '$$.State.Name' } }), 'Only'],
    [
      '$$.Execution.Input inside a branch',
      {
        StartAt: 'Fork',
        States: { Fork: { ...branches({ ...pass, Parameters: { 'in.$': '$$.Execution.Input' } }), End: true } },
      },
      'Only',
    ],
    ['a bracketed ResultPath', single({ ...pass, ResultPath: "$['out']" }), 'Only'],
    [
      'TimeoutSecondsPath with Parameters (the engine reads it from their output)',
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'f' },
        TimeoutSecondsPath: '$.timeout',
      }),
      'Only',
    ],
  ])('refuses %s, naming the state machine and the state', (_label, definition, state) => {
    let thrown: unknown;
    try {
      load(definition);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedDefinitionError);
    expect(thrown).toMatchObject({ stateMachine: 'pipeline', state });
    expect((thrown as Error).message).toContain('"pipeline"');
    if (state !== undefined) expect((thrown as Error).message).toContain(`"${state}"`);
  });

  it('refuses a definition that is not valid ASL as invalid, not unsupported', () => {
    expect(() => load({ StartAt: 'Missing', States: { Only: { ...pass, End: true } } })).toThrow(
      InvalidDefinitionError,
    );
    expect(() => loadMachines([{ ...machine('pipeline', {}), definition: '{nope' }], () => false)).toThrow(
      InvalidDefinitionError,
    );
  });

  it('builds one engine for state machines that share a definition', () => {
    const definition = single(pass);
    const machines = loadMachines([machine('a', definition), machine('b', definition)], () => false);
    expect(machines.get(arnOf('a'))?.engine).toBe(machines.get(arnOf('b'))?.engine);
  });

  it('remembers a definition it accepted, for a later start, and never one it refused', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gantry-asl-')), 'validated');
    const good = { StartAt: 'Only', States: { Only: { ...pass, Result: { ok: true }, End: true } } };
    const bad = { StartAt: 'Missing', States: { Only: { ...pass, End: true } } };
    loadMachines([machine('a', good)], () => false, {}, new ValidatedDefinitions(dir));
    expect(readdirSync(dir)).toHaveLength(1);
    const later = new ValidatedDefinitions(dir);
    expect(later.has(JSON.stringify(prepareDefinition(good).engine))).toBe(true);
    const engine = loadMachines([machine('a', good)], () => false, {}, later).get(arnOf('a'))?.engine;
    await expect(engine?.run({}).result).resolves.toEqual({ ok: true });
    for (let start = 0; start < 2; start++) {
      expect(() => loadMachines([machine('b', bad)], () => false, {}, new ValidatedDefinitions(dir))).toThrow(
        InvalidDefinitionError,
      );
    }
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('gives the engine AWS defaults and durations a Node timer can hold', () => {
    const { engine } = prepareDefinition({
      StartAt: 'Build',
      TimeoutSeconds: 31_536_000,
      States: {
        Build: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          HeartbeatSeconds: 99_999_999,
          Retry: [{ ErrorEquals: ['States.ALL'], BackoffRate: 10, MaxAttempts: 20 }],
          ResultPath: '$',
          Next: 'Pause',
        },
        Pause: { Type: 'Wait', Seconds: 99_999_999, End: true },
      },
    });
    expect(engine.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(engine.States).toMatchObject({
      Build: {
        TimeoutSeconds: MAX_TIMER_SECONDS,
        HeartbeatSeconds: MAX_TIMER_SECONDS,
        Retry: [{ MaxDelaySeconds: MAX_TIMER_SECONDS }],
      },
      Pause: { Seconds: MAX_TIMER_SECONDS },
    });
    expect(engine.States).not.toHaveProperty('Build.ResultPath');
    expect(MAX_TIMER_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('installs Promise.withResolvers only where it is missing', () => {
    const native = Object.getOwnPropertyDescriptor(Promise, 'withResolvers');
    try {
      Reflect.deleteProperty(Promise, 'withResolvers');
      installPromiseWithResolvers();
      const installed = Object.getOwnPropertyDescriptor(Promise, 'withResolvers')?.value;
      expect(typeof installed).toBe('function');
      installPromiseWithResolvers();
      expect(Object.getOwnPropertyDescriptor(Promise, 'withResolvers')?.value).toBe(installed);
    } finally {
      if (native) Object.defineProperty(Promise, 'withResolvers', native);
    }
  });
});

describe('running definitions as AWS does', () => {
  let edge: RunningEdge;
  let emulator: StepFunctionsEmulator;
  let client: SFNClient;

  const MACHINES = [
    machine('root-result', single({ ...pass, Result: { replaced: true }, ResultPath: '$' })),
    machine('falsy-result', single({ ...pass, Result: false, ResultPath: '$.flag' })),
    machine(
      'hash',
      single({
        ...pass,
        Parameters: { 'sha.$': "States.Hash($.text, 'SHA-256')", 'md5.$': "States.Hash($.text, 'MD5')", kept: 1 },
        ResultPath: '$.out',
      }),
    ),
    machine('wait-paths', {
      StartAt: 'Seconds',
      States: {
        Seconds: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Until' },
        Until: { Type: 'Wait', TimestampPath: '$.until', OutputPath: '$.seconds', End: true },
      },
    }),
    machine('far-seconds', single({ Type: 'Wait', Seconds: 99_999_999 })),
    machine('far-timestamp', single({ Type: 'Wait', Timestamp: '2100-01-01T00:00:00Z' })),
    machine(
      'build',
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::codebuild:startBuild.sync',
        Parameters: { ProjectName: 'app' },
      }),
    ),
    machine('fan-out', {
      StartAt: 'Fork',
      States: {
        Fork: { ...branches({ ...pass, Result: 'a' }), Next: 'Each' },
        Each: {
          Type: 'Map',
          ItemsPath: '$',
          ItemProcessor: { StartAt: 'Item', States: { Item: { ...pass, End: true } } },
          End: true,
        },
      },
    }),
  ];

  beforeAll(async () => {
    emulator = await createStepFunctions({
      stateMachines: MACHINES,
      lambda: echo,
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

  const run = async (name: string, input: unknown = {}): Promise<DescribeExecutionCommandOutput> => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf(name), input: JSON.stringify(input) }),
    );
    const deadline = Date.now() + 3000;
    for (;;) {
      const out = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status !== 'RUNNING' || Date.now() > deadline) return out;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('replaces the input with ResultPath "$"', async () => {
    expect((await run('root-result', { old: 1 })).output).toBe('{"replaced":true}');
  });

  it('hashes as AWS does, strings of 56 bytes and more included (the engine pads those wrongly)', async () => {
    for (const text of ['short', 'sample-service#github:18428c8b-fca3-4d96-a72e-353dcd68600c:0', 'x'.repeat(200)]) {
      const { output } = await run('hash', { text });
      expect(JSON.parse(output ?? '{}').out).toEqual({
        sha: createHash('sha256').update(text).digest('hex'),
        md5: createHash('md5').update(text).digest('hex'),
        kept: 1,
      });
    }
  });

  it('keeps a falsy Pass Result', async () => {
    expect((await run('falsy-result', { old: 1 })).output).toBe('{"old":1,"flag":false}');
  });

  it('waits on SecondsPath and TimestampPath, and fails with States.Runtime on a bad value', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    expect(await run('wait-paths', { seconds: 0, until: past })).toMatchObject({ status: 'SUCCEEDED', output: '0' });
    expect(await run('wait-paths', { seconds: -1, until: past })).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
    });
    expect(await run('wait-paths', { seconds: 0, until: 'tomorrow' })).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
    });
  });

  it('keeps waiting on waits past the timer limit instead of firing at once', async () => {
    const started = await Promise.all(
      ['far-seconds', 'far-timestamp'].map((name) =>
        client.send(new StartExecutionCommand({ stateMachineArn: arnOf(name), input: '{}' })),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const { executionArn } of started) {
      expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
      await client.send(new StopExecutionCommand({ executionArn }));
    }
  });

  it('records Wait states as Wait states although the emulator runs them', async () => {
    const past = new Date(0).toISOString();
    const { executionArn } = await run('wait-paths', { seconds: 0, until: past });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'WaitStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('records Parallel and Map phases and iterations', async () => {
    const { executionArn, status } = await run('fan-out', {});
    expect(status).toBe('SUCCEEDED');
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events?.map((e) => e.type) ?? [];
    expect(types).toEqual(
      expect.arrayContaining([
        'ParallelStateStarted',
        'ParallelStateSucceeded',
        'MapStateStarted',
        'MapIterationStarted',
      ]),
    );
    expect(types.indexOf('ParallelStateEntered')).toBeLessThan(types.indexOf('ParallelStateStarted'));
    expect(events?.find((e) => e.type === 'MapIterationSucceeded')?.mapIterationSucceededEventDetails).toEqual({
      name: 'Each',
      index: 0,
    });
  });

  it('fails a CodeBuild task with States.TaskFailed until the integration is registered', async () => {
    const before = await run('build');
    expect(before).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(before.cause).toContain('not supported yet in Gantry local mode');

    const seen: unknown[] = [];
    emulator.registerIntegration('arn:aws:states:::codebuild:startBuild.sync', async (parameters, context) => {
      seen.push(parameters, context.stateName, context.signal.aborted);
      return { Build: { BuildStatus: 'SUCCEEDED' } };
    });
    const after = await run('build');
    expect(after).toMatchObject({ status: 'SUCCEEDED', output: '{"Build":{"BuildStatus":"SUCCEEDED"}}' });
    expect(seen).toEqual([{ ProjectName: 'app' }, 'Only', false]);
  });

  it('fails a task with the error an integration throws as TaskFailure', async () => {
    emulator.registerIntegration('arn:aws:states:::codebuild:startBuild.sync', async () => {
      throw new TaskFailure('CodeBuild.BuildFailed', 'phase BUILD exited 1');
    });
    expect(await run('build')).toMatchObject({
      status: 'FAILED',
      error: 'CodeBuild.BuildFailed',
      cause: 'phase BUILD exited 1',
    });
  });
});

describe('Choice type tests set to false', () => {
  it.each(['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'])(
    'gives the engine Not(%s: true), which it evaluates as AWS evaluates %s: false',
    (test) => {
      expect(fixTypeTests({ Variable: '$.a', [test]: false, Next: 'X' })).toEqual({
        Not: { Variable: '$.a', [test]: true },
        Next: 'X',
      });
      expect(fixTypeTests({ Variable: '$.a', [test]: true, Next: 'X' })).toEqual({
        Variable: '$.a',
        [test]: true,
        Next: 'X',
      });
    },
  );

  it('rewrites them inside And, Or and Not too', () => {
    expect(
      fixTypeTests({
        And: [
          { Variable: '$.a', IsNull: false },
          { Variable: '$.b', StringEquals: 'x' },
        ],
        Next: 'X',
      }),
    ).toEqual({
      And: [{ Not: { Variable: '$.a', IsNull: true } }, { Variable: '$.b', StringEquals: 'x' }],
      Next: 'X',
    });
  });

  it('takes the branch an IsNull: false rule selects, end to end', async () => {
    installPromiseWithResolvers();
    const dir = mkdtempSync(join(tmpdir(), 'sfn-istests-'));
    const sfn = await createStepFunctions({
      stateMachines: [
        machine('choose', {
          StartAt: 'Has approval?',
          States: {
            'Has approval?': {
              Type: 'Choice',
              Choices: [{ Variable: '$.approval', IsNull: false, Next: 'Wait' }],
              Default: 'Go',
            },
            Wait: { Type: 'Pass', Result: 'waited', End: true },
            Go: { Type: 'Pass', Result: 'went', End: true },
          },
        }),
      ],
      lambda: echo,
      dataDir: dir,
      region: REGION,
      accountId: ACCOUNT,
    });
    const edge = await startEdge({ port: 0, services: [sfn.service] });
    const client = new SFNClient({
      endpoint: edge.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const run = async (input: object) => {
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn: arnOf('choose'), input: JSON.stringify(input) }),
      );
      for (;;) {
        const out = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (out.status !== 'RUNNING') return JSON.parse(out.output ?? 'null');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    expect(await run({ approval: { required: true } })).toBe('waited');
    expect(await run({ approval: null })).toBe('went');
    await sfn.close();
    await edge.close();
  });
});
