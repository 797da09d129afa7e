import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { git } from '../../cli/local/sample-repo';
import { eventsOf } from '../../shared/dlq/webhooks';
import { admissionName } from '../../shared/pipelines/start';
import type { DeadLetter } from '../../shared/webhooks/dead-letters';
import { gantry } from '../support/cli';
import { edgeClientConfig, eventually, startTestPlane, type TestPlane } from '../support/local';

const PIPELINE = 'sample-service';

describe('gantry dlq against local mode', () => {
  let t: TestPlane;
  let sqs: SQSClient;
  let webhooksQueue: string;
  let triggersQueue: string;
  const dlq = (...args: string[]) => gantry('dlq', ...args, '--data-dir', t.dataDir);

  beforeAll(async () => {
    t = await startTestPlane();
    sqs = new SQSClient(edgeClientConfig(t.plane));
    const queueOf = (prefix: string) => {
      const spec = t.plane.inventory.queues.find((q) => q.name.startsWith(prefix));
      if (spec === undefined) throw new Error(`no queue ${prefix}`);
      return t.plane.sqs.queueUrl(spec.name);
    };
    webhooksQueue = queueOf('GantryControlPlane-WebhookIngressDeadLetterQueue');
    triggersQueue = queueOf('GantryControlPlane-TriggerDeadLetters');
  }, 60_000);
  afterAll(() => t?.close());

  /** A new commit on develop, pushed as GitHub would, while the bus refuses every event (its PutEvents fails). */
  async function pushWhileBusIsDown(deliveryId: string): Promise<string> {
    git(t.repo(), 'commit', '--quiet', '--allow-empty', '-m', `change for ${deliveryId}`);
    const bus = t.plane.bus;
    const hasBus = bus.hasBus;
    bus.hasBus = () => false;
    try {
      const { status, push } = await t.push({ branch: 'develop', deliveryId });
      expect(status).toBe(202);
      return push.after;
    } finally {
      bus.hasBus = hasBus;
    }
  }

  async function letters(queueUrl: string) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  /** Executions of the pipeline named after an event (admission's name): a second run would be a second one. */
  async function runsOf(eventId: string) {
    const machine = t.plane.inventory.stateMachines.find((m) => m.name === `gantry-pipeline-${PIPELINE}`);
    const name = admissionName(PIPELINE, eventId);
    const executions = await t.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine?.arn }));
    return (executions.executions ?? []).filter((e) => e.name === name);
  }

  /** Lets everything a redrive set going finish: bus deliveries, then admission. */
  async function quiet(): Promise<void> {
    await t.plane.bus.settled();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await t.plane.bus.settled();
  }

  const runsFor = async (commit: string) =>
    (await t.runs.list({ pipeline: PIPELINE })).filter((r) => r.commit === commit);

  it('redrives a delivery whose publish failed into exactly one run, and a second redrive of it starts none', async () => {
    const commit = await pushWhileBusIsDown('dlq-e2e-1');
    const [message] = await letters(webhooksQueue);
    const letter = JSON.parse(message?.Body ?? '{}') as DeadLetter;
    expect(letter).toMatchObject({ deliveryId: 'dlq-e2e-1', failedEventIds: ['github:dlq-e2e-1:0'] });
    expect(JSON.stringify(letter.headers)).not.toMatch(/signature/i);
    await quiet();
    expect(await runsFor(commit)).toHaveLength(0);

    const listed = await dlq('list', '--queue', 'webhooks');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^QUEUE\s+MESSAGE\s+SUBJECT\s+REASON\s+AGE\s+DROPPED IN$/m);
    expect(listed.stdout).toMatch(
      new RegExp(
        `webhooks\\s+${message?.MessageId}\\s+github delivery dlq-e2e-1\\s+publish failed: ResourceNotFoundException\\s+\\d+ s\\s+13 d 23 h`,
      ),
    );
    const shown = await dlq('show', message?.MessageId?.slice(0, 8) ?? '');
    expect(shown.stdout).toContain(`github:dlq-e2e-1:0  push refs/heads/develop @ ${commit}`);

    const first = await dlq('redrive', '--queue', 'webhooks');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/github delivery dlq-e2e-1\s+redriven\s+published github:dlq-e2e-1:0/);
    expect(first.stdout).toContain('1 redriven, 0 kept in the queue.');
    expect(await letters(webhooksQueue)).toHaveLength(0);
    const [run] = await eventually('the redriven run', async () => {
      const found = await runsFor(commit);
      return found.length > 0 ? found : undefined;
    });
    expect(run?.pipeline).toBe(PIPELINE);

    // The same letter again (a redrive whose delete was lost, or an operator's copy): published, no second run.
    await sqs.send(new SendMessageCommand({ QueueUrl: webhooksQueue, MessageBody: message?.Body ?? '' }));
    const second = await dlq('redrive', '--queue', 'webhooks', '--json');
    expect(JSON.parse(second.stdout)).toEqual([expect.objectContaining({ status: 'redriven' })]);
    await quiet();
    expect(await runsFor(commit)).toHaveLength(1);
    expect(await runsOf('github:dlq-e2e-1:0')).toHaveLength(1);
  }, 120_000);

  it('redrives a trigger event to the one target that missed it, refuses a target the rule does not have, and a webhook redrive of the same delivery then starts nothing', async () => {
    const commit = await pushWhileBusIsDown('dlq-e2e-2');
    const [message] = await letters(webhooksQueue);
    const letter = JSON.parse(message?.Body ?? '{}') as DeadLetter;
    const rule = t.plane.inventory.rules.find((r) => r.name === `gantry-${PIPELINE}-push`);
    const admission = rule?.targets[0]?.arn ?? '';
    const pipelineMachine = t.plane.inventory.stateMachines.find((m) => m.name === `gantry-pipeline-${PIPELINE}`);
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Source Push',
      source: 'gantry.webhooks',
      account: '000000000000',
      time: new Date().toISOString(),
      region: t.plane.region,
      resources: [],
      detail: eventsOf(letter)[0]?.detail,
    };
    // What EventBridge writes when a target's invocation fails: the event, and which rule and target missed it.
    const deadLetter = (targetArn: string) =>
      new SendMessageCommand({
        QueueUrl: triggersQueue,
        MessageBody: JSON.stringify(event),
        MessageAttributes: {
          RULE_ARN: { DataType: 'String', StringValue: rule?.arn ?? '' },
          TARGET_ARN: { DataType: 'String', StringValue: targetArn },
          ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' },
          RETRY_ATTEMPTS: { DataType: 'String', StringValue: '8' },
        },
      });
    await sqs.send(deadLetter(admission));
    // Someone allowed to send to the queue names the pipeline itself, to skip admission: refused, kept.
    await sqs.send(deadLetter(pipelineMachine?.arn ?? ''));

    const out = await dlq('redrive', '--queue', 'triggers');
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/gantry-sample-service-push → \S+\s+redriven\s+started arn:aws:states:/);
    expect(out.stdout).toMatch(
      /kept \(unknown_target\)\s+rule \S+ has no target arn:aws:states:\S+gantry-pipeline-sample-service/,
    );
    expect(out.stdout).toContain('1 redriven, 1 kept in the queue.');
    expect(out.stderr).toContain('1 dead letter(s) kept in the queue');
    await eventually('the run started through the trigger target', async () =>
      (await runsFor(commit)).length === 1 ? true : undefined,
    );
    const left = await letters(triggersQueue);
    expect(left.map((m) => m.MessageAttributes?.TARGET_ARN?.StringValue)).toEqual([pipelineMachine?.arn]);

    // The delivery was handled through its trigger: redriving its webhook dead letter, or the trigger again, runs nothing more.
    await sqs.send(deadLetter(admission));
    expect((await dlq('redrive', '--queue', 'webhooks')).code).toBe(0);
    expect((await dlq('redrive', left[0]?.MessageId ?? '', '--queue', 'triggers')).code).toBe(1);
    expect((await dlq('redrive', '--queue', 'triggers')).stdout).toContain('1 redriven, 1 kept');
    await quiet();
    expect(await runsFor(commit)).toHaveLength(1);
    expect(await runsOf('github:dlq-e2e-2:0')).toHaveLength(1);
  }, 120_000);

  it('keeps foreign, malformed and altered messages in the queue, says why, and runs nothing', async () => {
    const commit = await pushWhileBusIsDown('dlq-e2e-3');
    const [message] = await letters(webhooksQueue);
    const letter = JSON.parse(message?.Body ?? '{}') as DeadLetter;
    const other = 'f'.repeat(40);
    const altered = { ...letter, body: { ...letter.body, data: letter.body.data.replaceAll(commit, other) } };
    expect(altered.body.data).toContain(other);
    await sqs.send(new SendMessageCommand({ QueueUrl: webhooksQueue, MessageBody: 'not json at all' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: webhooksQueue, MessageBody: '{"hello":"world"}' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: webhooksQueue, MessageBody: JSON.stringify(altered) }));
    // Only the three hostile ones are chosen: the genuine letter waits for the end of the test.
    const hostile = (await letters(webhooksQueue)).filter((m) => m.MessageId !== message?.MessageId);
    expect(hostile).toHaveLength(3);

    const out = await dlq('redrive', ...hostile.map((m) => m.MessageId ?? ''), '--json');
    expect(out.code).toBe(1);
    const reports = JSON.parse(out.stdout) as { messageId: string; status: string; code?: string; detail: string }[];
    expect(reports.map((r) => [r.status, r.code])).toEqual([
      ['kept', 'foreign'],
      ['kept', 'foreign'],
      ['kept', 'not_admitted'],
    ]);
    expect(reports[0]?.detail).toBe('the body is not JSON');
    expect(reports[1]?.detail).toMatch(/^not a webhook dead letter/);
    expect(reports[2]?.detail).toBe('github:dlq-e2e-3:0 differs from what the webhook receiver verified');
    expect((await letters(webhooksQueue)).map((m) => m.MessageId).sort()).toEqual(
      [message?.MessageId, ...hostile.map((m) => m.MessageId)].sort(),
    );
    await quiet();
    expect(await runsFor(other)).toHaveLength(0);
    expect(await runsFor(commit)).toHaveLength(0);

    const listed = await dlq('list', '--queue', 'webhooks', '--json');
    expect((JSON.parse(listed.stdout) as { kind: string }[]).map((v) => v.kind).sort()).toEqual([
      'foreign',
      'foreign',
      'webhook',
      'webhook',
    ]);
  }, 120_000);
});
