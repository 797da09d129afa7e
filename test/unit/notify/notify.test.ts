import { NotificationInputSchema } from '../../../events';
import { NotificationDeferred } from '../../../shared/notify/errors';
import { type NotifyDeps, notify as notifyEvent } from '../../../shared/notify/notify';
import { SendError } from '../../../shared/notify/ports';
import { busEvent, notifyFakes, RUN, SLACK } from './fakes';

const failed = (id?: string) =>
  busEvent(
    'Run Failed',
    {
      ...RUN,
      failure: { stage: 'build', error: 'X', reason: 'build FAILED in BUILD' },
      endedAt: '2026-05-01T10:00:00.000Z',
    },
    id,
  );

/** The bus event as the notifier's handler reads it (NotificationInputSchema), then the use case. */
const notify = async (deps: NotifyDeps, envelope: unknown) =>
  notifyEvent(deps, NotificationInputSchema.parse(envelope));

describe('notify', () => {
  it('sends one message when the same bus event is delivered twice', async () => {
    const f = notifyFakes();
    const event = failed('event-1');
    await expect(notify(f.deps, event)).resolves.toMatchObject({ deliveries: { 'team-slack': 'sent' } });
    await expect(notify(f.deps, event)).resolves.toMatchObject({ deliveries: { 'team-slack': 'duplicate' } });
    expect(f.sender.sent).toHaveLength(1);
  });

  it('sends one message when a retried step publishes the same fact again (a new event id)', async () => {
    const f = notifyFakes();
    await notify(f.deps, failed('first-publish'));
    await notify(f.deps, failed('retried-publish'));
    expect(f.sender.sent).toHaveLength(1);
  });

  it('sends each rollback of a run (one per deployment) and each kind of event once', async () => {
    const f = notifyFakes();
    const rollback = (deploymentId: string) =>
      busEvent('Deployment Rolled Back', { ...RUN, deploymentId, target: 'lambda fn:live', reason: 'alarm' });
    await notify(f.deps, rollback('d-1'));
    await notify(f.deps, rollback('d-1'));
    await notify(f.deps, rollback('d-2'));
    await notify(f.deps, failed());
    expect(f.sender.sent).toHaveLength(3);
  });

  it('defers, then sends on the retry, when a concurrent attempt holds the delivery', async () => {
    const f = notifyFakes();
    await f.deps.ledger.reserve(`Run Failed/run-1/team-slack`, {
      at: f.deps.clock(),
      leaseMs: 120_000,
      ttlSeconds: 60,
    });
    await expect(notify(f.deps, failed())).rejects.toMatchObject({ code: 'in_progress' });
    expect(f.sender.sent).toHaveLength(0);
    // The holder died: once its lease is over, the retry takes the delivery over and sends.
    f.advance(121_000);
    await notify(f.deps, failed());
    expect(f.sender.sent).toHaveLength(1);
  });

  it('gives the delivery back when the target refused it, so the retry sends it', async () => {
    const f = notifyFakes();
    f.sender.failNext = new SendError('answered 500', 'no');
    await expect(notify(f.deps, failed())).rejects.toBeInstanceOf(NotificationDeferred);
    await notify(f.deps, failed());
    expect(f.sender.sent).toHaveLength(1);
  });

  it('keeps the delivery when the outcome is unknown: no resend until the lease is over', async () => {
    const f = notifyFakes();
    f.sender.failNext = new SendError('timed out', 'unknown');
    await expect(notify(f.deps, failed())).rejects.toMatchObject({ code: 'send_unknown' });
    await expect(notify(f.deps, failed())).rejects.toMatchObject({ code: 'in_progress' });
    f.advance(121_000);
    await notify(f.deps, failed());
    expect(f.sender.sent).toHaveLength(1);
  });

  it('sends only to targets whose filter takes the event', async () => {
    const onlyProdFailures = {
      ...SLACK,
      name: 'prod-failures',
      events: ['run-failed' as const],
      environments: ['prod'],
    };
    const otherPipeline = { ...SLACK, name: 'other', pipelines: ['gadgets'] };
    const f = notifyFakes([onlyProdFailures, otherPipeline]);
    await notify(
      f.deps,
      busEvent('Run Succeeded', { ...RUN, runId: 'r2', deployed: true, endedAt: '2026-05-01T10:00:00.000Z' }),
    );
    await notify(f.deps, failed());
    await notify(f.deps, { ...failed(), detail: { ...failed().detail, environment: null } });
    expect(f.sender.sent.map((s) => s.target)).toEqual(['prod-failures']);
  });

  it('refuses an event that is not a notification event', async () => {
    const f = notifyFakes();
    await expect(notify(f.deps, busEvent('Run Failed', { runId: 'x' }))).rejects.toThrow();
    await expect(notify(f.deps, { ...failed(), source: 'gantry.webhooks' })).rejects.toThrow();
    expect(f.sender.sent).toHaveLength(0);
  });
});

describe('rate limits', () => {
  const succeeded = (runId: string) =>
    busEvent('Run Succeeded', { ...RUN, runId, deployed: false, endedAt: '2026-05-01T10:00:00.000Z' });

  it('delays a message over the target’s rate instead of dropping it', async () => {
    const f = notifyFakes();
    await Promise.all(['r1', 'r2', 'r3'].map((id) => notify(f.deps, succeeded(id))));
    expect(f.sender.sent).toHaveLength(3);
    // One message a second: the second waits 1 s, the third 2 s.
    expect(f.sleeps.sort()).toEqual([1000, 2000]);
  });

  it('defers a message whose slot is further off than it may wait, and sends it on the retry', async () => {
    const f = notifyFakes();
    const events = Array.from({ length: 8 }, (_, i) => succeeded(`r${i}`));
    const outcomes = await Promise.allSettled(events.map((e) => notify(f.deps, e)));
    const deferred = outcomes.filter((o) => o.status === 'rejected');
    // Slots 0..5 s are within the 5 s it may wait; the other two are deferred, not dropped.
    expect(f.sender.sent).toHaveLength(6);
    expect(deferred).toHaveLength(2);
    for (const o of deferred) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'rate_limited' });
    f.advance(10_000);
    const retried = events.filter((_, i) => outcomes[i]?.status === 'rejected');
    for (const e of retried) await notify(f.deps, e);
    expect(f.sender.sent).toHaveLength(8);
    expect(new Set(f.sender.sent.map((s) => JSON.stringify(s.message))).size).toBe(8);
  });

  it('sends an approval request and a rollback while a burst of run results holds every slot of the target', async () => {
    const f = notifyFakes();
    // A busy morning: run results booked the target's slots a minute ahead.
    f.ledger.nextAt.set(SLACK.name, f.deps.clock().getTime() + 60_000);
    await expect(notify(f.deps, succeeded('one-more'))).rejects.toMatchObject({ code: 'rate_limited' });
    const sentBefore = f.sender.sent.length;
    const approval = busEvent('Approval Requested', {
      ...RUN,
      runId: 'prod-1',
      deadline: '2026-05-02T10:00:00.000Z',
      approvers: ['alice'],
      minApprovals: 1,
    });
    const rollback = busEvent('Deployment Rolled Back', {
      ...RUN,
      deploymentId: 'd-9',
      target: 'fn:live',
      reason: 'x',
    });
    await notify(f.deps, approval);
    await notify(f.deps, rollback);
    expect(f.sender.sent.length).toBe(sentBefore + 2);
    // They keep a rate of their own: a second approval request right after waits its interval.
    f.sleeps.length = 0;
    await notify(f.deps, busEvent('Approval Requested', { ...approval.detail, runId: 'prod-2' }));
    expect(f.sleeps).toEqual([1000]);
  });

  it('gives the delivery back when the target itself says 429, so the retry sends it', async () => {
    const f = notifyFakes();
    f.sender.failNext = new SendError('answered 429', 'no', true, 1000);
    await expect(notify(f.deps, succeeded('r1'))).rejects.toMatchObject({ code: 'rate_limited' });
    await notify(f.deps, succeeded('r1'));
    expect(f.sender.sent).toHaveLength(1);
  });
});
