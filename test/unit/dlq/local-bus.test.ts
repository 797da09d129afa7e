import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { LocalBus, type TargetInvoker } from '../../../local/eventbridge/bus';
import { eventBridgeService } from '../../../local/eventbridge/service';
import type { RuleSpec } from '../../../local/template/inventory';
import { EventBridgeRuleDirectory } from '../../../shared/dlq/aws';

const DLQ = 'arn:aws:sqs:eu-west-1:000000000000:trigger-dlq';
const RULE: RuleSpec = {
  name: 'gantry-widgets-push',
  arn: 'arn:aws:events:eu-west-1:000000000000:rule/gantry/gantry-widgets-push',
  busName: 'gantry',
  enabled: true,
  pattern: { source: ['gantry.webhooks'] },
  targets: [
    {
      id: 'admission',
      arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:admission',
      inputTransformer: {
        InputPathsMap: { detail: '$.detail' },
        InputTemplate: '{"trigger":"push","source":<detail>}',
      },
      deadLetterArn: DLQ,
      maximumRetryAttempts: 1,
    },
  ],
};

describe('the local bus, as dead-letter redrive reads it', () => {
  let dir: string;
  let edge: RunningEdge | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-dlq-bus-'));
  });
  afterEach(async () => {
    await edge?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dead-letters an event with the attributes EventBridge sets: which rule and target missed it, and why', async () => {
    const sent: { arn: string; input: string; attributes?: Record<string, { StringValue: string }> }[] = [];
    const invoke: TargetInvoker = async (arn, input, attributes) => {
      sent.push({ arn, input, ...(attributes ? { attributes } : {}) });
      if (arn.includes(':states:'))
        throw Object.assign(new Error('no such machine'), { name: 'StateMachineDoesNotExist' });
      return 'message-1';
    };
    const { bus } = LocalBus.start({
      buses: [{ name: 'gantry', arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/gantry' }],
      rules: [RULE],
      dataDir: dir,
      region: 'eu-west-1',
      accountId: '000000000000',
      invokeTarget: invoke,
      backoffMs: [1],
    });
    bus.accept([{ bus: 'gantry', source: 'gantry.webhooks', detailType: 'Source Push', detail: { eventId: 'e1' } }]);
    await bus.settled();
    await bus.close();
    const dead = sent.filter((s) => s.arn === DLQ);
    expect(sent.filter((s) => s.arn.includes(':states:'))).toHaveLength(2);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]?.input ?? '{}')).toMatchObject({ source: 'gantry.webhooks', detail: { eventId: 'e1' } });
    const attributes = Object.fromEntries(
      Object.entries(dead[0]?.attributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    expect(attributes).toEqual({
      RULE_ARN: RULE.arn,
      TARGET_ARN: RULE.targets[0]?.arn,
      ERROR_CODE: 'SDK_CLIENT_ERROR',
      ERROR_MESSAGE: 'StateMachineDoesNotExist: no such machine',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '1',
    });
  });

  it('lists a rule’s targets with their dead-letter queue, found from the rule’s ARN on its own bus', async () => {
    const { bus } = LocalBus.start({
      buses: [{ name: 'gantry', arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/gantry' }],
      rules: [RULE],
      dataDir: dir,
      region: 'eu-west-1',
      accountId: '000000000000',
      invokeTarget: async () => undefined,
    });
    edge = await startEdge({ port: 0, services: [eventBridgeService(bus)] });
    const rules = new EventBridgeRuleDirectory(
      new EventBridgeClient({
        endpoint: edge.endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      }),
    );
    expect(await rules.targetsOf(RULE.arn)).toEqual([
      {
        id: 'admission',
        arn: RULE.targets[0]?.arn,
        inputTransformer: RULE.targets[0]?.inputTransformer,
        deadLetterArn: DLQ,
      },
    ]);
    expect(await rules.targetsOf('arn:aws:events:eu-west-1:000000000000:rule/gantry/gone')).toBeUndefined();
    expect(await rules.targetsOf('not-an-arn')).toBeUndefined();
    await bus.close();
  });
});
