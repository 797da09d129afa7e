import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { admissionName } from '../../shared/pipelines/start';
import { edgeClientConfig, eventually, finishedRun, startTestPlane, type TestPlane } from '../support/local';

/** The execution name admission derives from an event: SHA-256 of its event id. */
const runName = (deliveryId: string) => admissionName('sample-service', `github:${deliveryId}:0`);

describe('local mode, end to end over HTTP', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
  }, 60_000);
  afterAll(() => t?.close());

  const pipelineArn = () =>
    t.plane.inventory.stateMachines.find((s) => s.name === 'gantry-pipeline-sample-service')?.arn ?? '';
  const executions = async () =>
    (await t.sfn.send(new ListExecutionsCommand({ stateMachineArn: pipelineArn() }))).executions ?? [];

  it('puts an accepted delivery on the bus, where a rule matches it and starts the pipeline, which runs the real handlers', async () => {
    const deliveryId = 'e2e-accepted-1';
    const pushed = await t.push({ deliveryId });
    expect(pushed).toMatchObject({ status: 202, body: { status: 'accepted', deliveryId, events: 1 } });

    const event = await eventually('the bus to deliver the event', async () =>
      t.plane.bus
        .recentEvents()
        .find((e) => e.detailType === 'Source Push' && e.targets.some((x) => x.status === 'delivered')),
    );
    expect(event.targets).toEqual([
      expect.objectContaining({ rule: 'gantry-sample-service-push', status: 'delivered' }),
    ]);

    const run = await finishedRun(t, pushed.push.after);
    expect(run).toMatchObject({ runId: runName(deliveryId), status: 'SUCCEEDED', environment: 'dev' });
    const execution = await eventually('the execution to end', async () => {
      const described = await t.sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
      return described.status === 'RUNNING' ? undefined : described;
    });
    expect(execution).toMatchObject({ name: runName(deliveryId), status: 'SUCCEEDED' });
    expect(t.logs.some((l) => l.startsWith('resolve-plan') && l.includes('run started'))).toBe(true);
    // A whole run (about 8 s alone): as long as finishedRun may wait on two loaded cores.
  }, 90_000);

  it('answers a redelivery with 200 and starts no second execution', async () => {
    const before = (await executions()).length;
    const again = await t.push({ deliveryId: 'e2e-accepted-1' });
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    await t.plane.bus.settled();
    expect((await executions()).length).toBe(before);
  });

  it('refuses a delivery with a bad signature with 401 and publishes nothing', async () => {
    const events = t.plane.bus.recentEvents().length;
    const forged = await fetch(`${t.plane.webhookUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: JSON.stringify({ ref: 'refs/heads/develop', repository: { full_name: 'gantry-demo/sample-service' } }),
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: { code: 'signature_invalid', message: 'the signature or token does not match' },
    });
    expect(t.plane.bus.recentEvents().length).toBe(events);
  });

  it('serves DynamoDB behind the edge, for handlers and for the AWS CLI alike', async () => {
    const tables = await new DynamoDBClient(edgeClientConfig(t.plane)).send(new ListTablesCommand({}));
    expect(tables.TableNames).toEqual(expect.arrayContaining(['gantry-deliveries', 'gantry-runs']));
  });

  it('answers TestEventPattern with the matcher the local bus uses', async () => {
    const rule = t.plane.inventory.rules.find((r) => r.name === 'gantry-sample-service-push');
    const event = (branch: string, provider = 'github') =>
      JSON.stringify({
        id: '1',
        account: '000000000000',
        source: 'gantry.webhooks',
        time: '2026-11-23T10:00:00Z',
        region: 'us-east-1',
        resources: [],
        'detail-type': 'Source Push',
        detail: { provider, repository: { fullName: 'gantry-demo/sample-service' }, branch },
      });
    const eb = new EventBridgeClient(edgeClientConfig(t.plane));
    const verdict = async (branch: string, provider?: string) =>
      (
        await eb.send(
          new TestEventPatternCommand({ Event: event(branch, provider), EventPattern: JSON.stringify(rule?.pattern) }),
        )
      ).Result;
    expect(await verdict('release/2.0')).toBe(true);
    expect(await verdict('feature/x')).toBe(false);
    // The same repository name at another provider is another repository.
    expect(await verdict('release/2.0', 'gitlab')).toBe(false);
  });

  it('answers an operation it does not emulate with UnknownOperationException, never a silent success', async () => {
    const sqs = new SQSClient(edgeClientConfig(t.plane));
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'nope' }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
  });
});
