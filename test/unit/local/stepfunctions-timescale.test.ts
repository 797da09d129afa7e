import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { createStepFunctions, type StateMachineSpec, type StepFunctionsEmulator } from '../../../local/stepfunctions';
import { prepareDefinition, SYNTHETIC_RESOURCE } from '../../../local/stepfunctions/prepare';
import { localClientConfig } from '../../support/aws';

const REGION = 'eu-west-1';
const arnOf = (name: string) => `arn:aws:states:${REGION}:000000000000:stateMachine:${name}`;

function machine(name: string, definition: object): StateMachineSpec {
  return { arn: arnOf(name), name, definition: JSON.stringify(definition), type: 'STANDARD', roleArn: 'role' };
}

const waits = {
  StartAt: 'Minute',
  States: {
    Minute: { Type: 'Wait', Seconds: 60, Next: 'FromInput' },
    FromInput: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Until' },
    Until: { Type: 'Wait', TimestampPath: '$.until', End: true },
  },
};

describe('Wait states under a time scale', () => {
  it('runs every Wait as a synthetic state that knows the scale, and leaves them to the engine at scale 1', () => {
    const scaled = prepareDefinition(waits, { timeScale: 600 });
    expect(scaled.engine.States).toMatchObject({
      Minute: { Type: 'Task', Resource: SYNTHETIC_RESOURCE, Parameters: { 'input.$': '$', seconds: 60 } },
      FromInput: { Type: 'Task', Parameters: { 'seconds.$': '$.seconds' } },
    });
    expect(scaled.synthetic.get('Minute')).toEqual({ kind: 'wait', name: 'Minute', timeScale: 600 });
    const plain = prepareDefinition(waits);
    expect(plain.engine.States).toMatchObject({ Minute: { Type: 'Wait', Seconds: 60 } });
    expect(plain.synthetic.has('Minute')).toBe(false);
  });

  it('refuses a scale that is not a positive number', () => {
    expect(() => prepareDefinition(waits, { timeScale: 0 })).toThrow(RangeError);
  });

  describe('in the emulator', () => {
    let dataDir: string;
    let emulator: StepFunctionsEmulator;
    let edge: RunningEdge;
    let client: SFNClient;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'gantry-sfn-scale-'));
      emulator = await createStepFunctions({
        stateMachines: [machine('waits', waits)],
        lambda: { invoke: async (_name, payload) => ({ ok: true, payload }) },
        dataDir,
        region: REGION,
        accountId: '000000000000',
        timeScale: 600,
      });
      edge = await startEdge({ port: 0, services: [emulator.service] });
      client = new SFNClient(localClientConfig(edge.endpoint));
    });

    afterAll(async () => {
      client.destroy();
      await emulator.close();
      await edge.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
      for (;;) {
        const out = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (out.status !== 'RUNNING') return out;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    it('divides Seconds, SecondsPath and the time left to a timestamp, and records them as Wait states', async () => {
      // Unscaled, these waits add up to three minutes; at 600× they take about 0.3 s.
      const until = new Date(Date.now() + 60_000).toISOString();
      const { executionArn } = await client.send(
        new StartExecutionCommand({
          stateMachineArn: arnOf('waits'),
          input: JSON.stringify({ seconds: 60, until }),
        }),
      );
      expect((await finished(String(executionArn))).status).toBe('SUCCEEDED');
      const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(events?.filter((e) => e.type === 'WaitStateExited')).toHaveLength(3);
    });
  });
});
