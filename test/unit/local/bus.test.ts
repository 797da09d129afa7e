import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventBridgeClient,
  InvalidEventPatternException,
  PutEventsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import { LocalBus, type LocalBusOptions, type TargetInvoker } from '../../../local/eventbridge/bus';
import { eventBridgeService } from '../../../local/eventbridge/service';
import type { RuleSpec } from '../../../local/template/inventory';

const RULE: RuleSpec = {
  name: 'pipeline-widgets',
  arn: 'arn:aws:events:eu-west-1:000000000000:rule/pipeline-widgets',
  busName: 'gantry',
  enabled: true,
  pattern: {
    source: ['gantry.webhooks'],
    'detail-type': ['Source Push'],
    detail: { repository: { fullName: ['acme/widgets'] }, branch: [{ prefix: 'release/' }] },
  },
  targets: [
    {
      id: 'start',
      arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:pipeline',
      inputTransformer: {
        InputPathsMap: { sha: '$.detail.headSha', branch: '$.detail.branch' },
        InputTemplate: '{"commit": <sha>, "ref": "<branch>"}',
      },
      deadLetterArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
    },
  ],
};

function push(branch: string, repository = 'acme/widgets') {
  return {
    EventBusName: 'gantry',
    Source: 'gantry.webhooks',
    DetailType: 'Source Push',
    Detail: JSON.stringify({ repository: { fullName: repository }, branch, headSha: 'abc123' }),
  };
}

describe('the local event bus', () => {
  let dir: string;
  let calls: { arn: string; input: string }[];
  let edge: RunningEdge | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-bus-'));
    calls = [];
  });
  afterEach(async () => edge?.close());

  const recording =
    (fail: (arn: string) => boolean = () => false): TargetInvoker =>
    async (arn, input) => {
      calls.push({ arn, input });
      if (fail(arn)) throw new Error(`target ${arn} is down`);
      return `started:${arn.split(':').pop()}`;
    };

  function start(invokeTarget: TargetInvoker, extra: Partial<LocalBusOptions> = {}) {
    return LocalBus.start({
      buses: [{ name: 'gantry', arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/gantry' }],
      rules: [RULE],
      dataDir: dir,
      region: 'eu-west-1',
      accountId: '000000000000',
      invokeTarget,
      backoffMs: [1],
      ...extra,
    });
  }

  async function client(bus: LocalBus) {
    edge = await startEdge({ port: 0, services: [eventBridgeService(bus)] });
    return new EventBridgeClient({
      endpoint: edge.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
  }

  it('starts the target of a matching rule with the transformed input, and nothing for others', async () => {
    const { bus } = start(recording());
    const eb = await client(bus);
    const out = await eb.send(
      new PutEventsCommand({ Entries: [push('release/1.2'), push('main'), push('release/2', 'acme/gadgets')] }),
    );
    await bus.settled();

    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.map((e) => e.EventId)).toHaveLength(3);
    expect(calls).toEqual([{ arn: RULE.targets[0]?.arn, input: '{"commit": "abc123", "ref": "release/1.2"}' }]);
    expect(bus.recentEvents().map((r) => r.targets.map((t) => t.status))).toEqual([['delivered'], [], []]);
    await bus.close();
  });

  it('reports malformed entries one by one, as PutEvents does, and accepts the rest', async () => {
    const { bus } = start(recording());
    const eb = await client(bus);
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          push('main'),
          { ...push('main'), Detail: '[1]' },
          { ...push('main'), EventBusName: 'nope' },
          { ...push('main'), Source: '' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode)).toEqual([
      undefined,
      'MalformedDetail',
      'ResourceNotFoundException',
      'InvalidArgument',
    ]);
    await bus.close();
  });

  it('retries a failing target, then hands the event to its dead-letter queue', async () => {
    const { bus } = start(recording((arn) => arn.includes(':states:')));
    bus.accept([
      {
        bus: 'gantry',
        source: 'gantry.webhooks',
        detailType: 'Source Push',
        detail: JSON.parse(push('release/x').Detail),
      },
    ]);
    await bus.settled();

    expect(calls.filter((c) => c.arn.includes(':states:'))).toHaveLength(3);
    const dead = calls.filter((c) => c.arn.includes(':sqs:'));
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]?.input ?? '{}')).toMatchObject({
      'detail-type': 'Source Push',
      detail: { branch: 'release/x' },
    });
    expect(bus.recentEvents()[0]?.targets[0]).toMatchObject({
      status: 'dead-lettered',
      error: expect.stringContaining('is down'),
    });
    await bus.close();
  });

  it('delivers after a restart what it had accepted but not delivered, and skips a torn last line', async () => {
    const { bus: first } = start(() => new Promise(() => undefined));
    first.accept([
      {
        bus: 'gantry',
        source: 'gantry.webhooks',
        detailType: 'Source Push',
        detail: JSON.parse(push('release/crash').Detail),
      },
    ]);
    // The process "dies" here: no close, no delivery; then a write was cut short.
    appendFileSync(join(dir, 'journal.jsonl'), '{"t":"event","e":{"id":"torn');

    const { bus: second, replayed } = start(recording());
    await second.settled();

    expect(replayed).toBe(1);
    expect(calls.map((c) => JSON.parse(c.input).ref)).toEqual(['release/crash']);
    await second.close();
    const { replayed: third } = start(recording());
    expect(third).toBe(0);
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe('');
  });

  it('journals what a publisher sends after close (never through a descriptor given to another file) and delivers it at the next start', async () => {
    const { bus: first } = start(recording());
    await first.close();
    // Whatever the process opens next gets the lowest free descriptor: the one the journal gave back.
    const other = join(dir, 'someone-elses-file.txt');
    const fd = openSync(other, 'w');
    try {
      const ids = first.accept([
        {
          bus: 'gantry',
          source: 'gantry.webhooks',
          detailType: 'Source Push',
          detail: JSON.parse(push('release/late').Detail),
        },
      ]);
      expect(ids).toHaveLength(1);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(other, 'utf8')).toBe('');
    expect(calls).toEqual([]);

    const { bus: second, replayed } = start(recording());
    await second.settled();
    expect(replayed).toBe(1);
    expect(calls.map((c) => JSON.parse(c.input).ref)).toEqual(['release/late']);
    await second.close();
  });

  it('answers TestEventPattern with the matcher the bus uses, and rejects invalid patterns as EventBridge does', async () => {
    const { bus } = start(recording());
    const eb = await client(bus);
    const event = {
      id: '1',
      account: '000000000000',
      source: 'gantry.webhooks',
      time: '2026-11-23T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      'detail-type': 'Source Push',
      detail: { repository: { fullName: 'acme/widgets' }, branch: 'release/9' },
    };
    const result = await eb.send(
      new TestEventPatternCommand({ Event: JSON.stringify(event), EventPattern: JSON.stringify(RULE.pattern) }),
    );
    expect(result.Result).toBe(true);
    await expect(
      eb.send(new TestEventPatternCommand({ Event: JSON.stringify(event), EventPattern: '{"source":"not-a-list"}' })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    await bus.close();
  });

  it("keeps each account's buses apart: a target account's rule sees its own default bus, and forwards to the control plane's", async () => {
    const codeDeploy = { source: ['aws.codedeploy'] };
    const home: RuleSpec = {
      name: 'home-state-changes',
      arn: 'arn:aws:events:eu-west-1:000000000000:rule/home-state-changes',
      busName: 'default',
      enabled: true,
      pattern: codeDeploy,
      targets: [{ id: 'events', arn: 'arn:aws:lambda:eu-west-1:000000000000:function:deploy-events' }],
    };
    const forwarder: RuleSpec = {
      name: 'target-state-changes',
      arn: 'arn:aws:events:eu-west-1:222222222222:rule/target-state-changes',
      busName: 'default',
      enabled: true,
      pattern: codeDeploy,
      targets: [{ id: 'bus', arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/gantry' }],
    };
    const forwarded: RuleSpec = {
      name: 'forwarded-state-changes',
      arn: 'arn:aws:events:eu-west-1:000000000000:rule/forwarded-state-changes',
      busName: 'gantry',
      enabled: true,
      pattern: { ...codeDeploy, account: ['222222222222'] },
      targets: [{ id: 'events', arn: 'arn:aws:lambda:eu-west-1:000000000000:function:deploy-events-forwarded' }],
    };
    let bus: LocalBus | undefined;
    const invoke: TargetInvoker = async (arn, input) => {
      calls.push({ arn, input });
      return arn.includes(':event-bus/') ? bus?.forward(arn, JSON.parse(input)) : 'ok';
    };
    bus = start(invoke, { rules: [home, forwarder, forwarded] }).bus;
    const event = {
      bus: 'default',
      source: 'aws.codedeploy',
      detailType: 'CodeDeploy Deployment State-change Notification',
    };
    bus.accept([{ ...event, account: '222222222222', detail: { deploymentId: 'd-PROD' } }]);
    await bus.settled();
    await bus.settled();
    // 222's event reached the control plane only through 222's rule, as itself (account 222).
    expect(calls.map((c) => c.arn.split(':').pop())).toEqual(['event-bus/gantry', 'deploy-events-forwarded']);
    expect(JSON.parse(calls[1]?.input ?? '{}')).toMatchObject({
      account: '222222222222',
      detail: { deploymentId: 'd-PROD' },
    });

    calls.length = 0;
    bus.accept([{ ...event, detail: { deploymentId: 'd-DEV' } }]);
    await bus.settled();
    // The control plane's own event: its rule only, never the other account's forwarder.
    expect(calls.map((c) => c.arn.split(':').pop())).toEqual(['deploy-events']);
    expect(JSON.parse(calls[0]?.input ?? '{}')).toMatchObject({ account: '000000000000' });
    await bus.close();
  });

  it('puts nothing on another bus that the target may not put on: the target fails with AccessDenied, once', async () => {
    const forwarder: RuleSpec = {
      name: 'target-state-changes',
      arn: 'arn:aws:events:eu-west-1:222222222222:rule/target-state-changes',
      busName: 'default',
      enabled: true,
      pattern: { source: ['aws.codedeploy'] },
      targets: [
        {
          id: 'bus',
          arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/gantry',
          roleArn: 'arn:aws:iam::222222222222:role/forward',
        },
      ],
    };
    const asked: string[] = [];
    const { bus } = start(recording(), {
      rules: [forwarder],
      authorizeBusTarget: (rule, target) => {
        asked.push(`${rule.name} as ${target.roleArn}`);
        return 'the bus policy does not list 222222222222';
      },
    });
    bus.accept([{ bus: 'default', account: '222222222222', source: 'aws.codedeploy', detailType: 'x', detail: {} }]);
    await bus.settled();
    expect(asked).toEqual(['target-state-changes as arn:aws:iam::222222222222:role/forward']);
    expect(calls).toEqual([]);
    expect(bus.recentEvents().at(-1)?.targets).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: 'AccessDeniedException: the bus policy does not list 222222222222',
      }),
    ]);
    await bus.close();
  });
});
