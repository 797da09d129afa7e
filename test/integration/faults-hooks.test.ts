import { execFileSync } from 'node:child_process';
import { layoutOf, secondsOf } from '../../local/stepfunctions/bindings';
import { prepareDefinition } from '../../local/stepfunctions/prepare';
import { FaultInjector, TEST_HOOKS_ENV, testHooksFrom } from '../../local/stepfunctions/test-hooks';
import { ROOT } from '../support/cli';

const WEEK = 7 * 24 * 60 * 60;
const definition = {
  StartAt: 'Approval',
  States: {
    Approval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 2 * WEEK,
      HeartbeatSeconds: WEEK,
      Next: 'Work',
    },
    Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 300, End: true },
  },
};

describe('the local Step Functions test hooks', () => {
  it('are off unless the test-only variable is set, and refuse a malformed one', () => {
    expect(testHooksFrom({})).toEqual({});
    expect(() => testHooksFrom({ [TEST_HOOKS_ENV]: '{"callbackTimeoutScale": 0}' })).toThrow(RangeError);
    expect(() => testHooksFrom({ [TEST_HOOKS_ENV]: '{"faults": [{"operation": "StartExecution"}]}' })).toThrow(
      RangeError,
    );
  });

  it('are set by nothing the product runs: only tests name the variable', () => {
    const hits = execFileSync('git', ['grep', '--untracked', '-l', TEST_HOOKS_ENV, '--', '.', ':!test'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    // The emulator reads it (and says so); nothing that starts the emulator sets it.
    expect(hits.filter((file) => !file.startsWith('local/stepfunctions/'))).toEqual([]);
    expect(hits).toContain('local/stepfunctions/test-hooks.ts');
  });

  it('compress the timeouts of callback tasks only, in the engine and in the bindings alike', () => {
    const plain = prepareDefinition(definition).engine.States as Record<string, Record<string, unknown>>;
    expect(plain.Approval).toMatchObject({ TimeoutSeconds: 2 * WEEK, HeartbeatSeconds: WEEK });
    const fast = prepareDefinition(definition, { callbackTimeoutScale: 1000 }).engine.States as Record<
      string,
      Record<string, unknown>
    >;
    expect(fast.Approval).toMatchObject({ TimeoutSeconds: 1210, HeartbeatSeconds: 605 });
    expect(fast.Work).toMatchObject({ TimeoutSeconds: 300 });
    const tasks = layoutOf('m', definition, () => false, 1000).tasks;
    expect(secondsOf(tasks.get('Approval')?.timeout, {})).toBe(1210);
    expect(secondsOf(tasks.get('Work')?.timeout, {})).toBe(300);
  });

  it('throttle the named state machine’s calls as many times as asked, and nothing else', () => {
    const faults = new FaultInjector([{ operation: 'StartExecution', stateMachine: 'pipeline', times: 2 }]);
    const start = (machine: string) => () =>
      faults.check('StartExecution', { stateMachineArn: `arn:aws:states:us-east-1:0:stateMachine:${machine}` });
    expect(start('admission')).not.toThrow();
    expect(start('pipeline')).toThrow(expect.objectContaining({ code: 'ThrottlingException' }));
    expect(start('pipeline')).toThrow(expect.objectContaining({ code: 'ThrottlingException' }));
    expect(start('pipeline')).not.toThrow();
    expect(() => faults.check('DescribeExecution', { stateMachineArn: 'x:pipeline' })).not.toThrow();
  });
});
