import { doraTable } from '../../../cli/metrics';
import type { AuditEvent } from '../../../events';
import { computeDora, percentile } from '../../../shared/metrics/dora';

/** A small ledger, built record by record; ids say what each record is, so counted ids read as facts. */
class Ledger {
  readonly events: AuditEvent[] = [];

  private add(id: string, type: string, time: string, subject: Partial<AuditEvent['subject']>, details: object) {
    this.events.push({
      id,
      type,
      time,
      subject: { repository: 'acme/shop', commit: null, runId: null, environment: null, pipeline: null, ...subject },
      details,
      correlationId: id,
    } as unknown as AuditEvent);
  }

  delivery(id: string, at: string, commitTimes: string[]) {
    this.add(
      `${id}:accepted`,
      'webhook.accepted',
      at,
      {},
      {
        deliveryId: id,
        eventName: 'push',
        events: [],
        commits: commitTimes.map((timestamp, i) => ({
          id: `${id}-${i}`,
          message: 'change',
          author: 'alice',
          timestamp,
        })),
        deadLettered: false,
      },
    );
  }

  run(runId: string, at: string, options: { env?: string; trigger?: string; branch?: string; delivery?: string } = {}) {
    this.add(`${runId}:started`, 'run.started', at, this.subject(runId, options.env), {
      trigger: options.trigger ?? 'push',
      branch: options.branch ?? 'release/1',
      pullRequest: null,
      deliveryId: options.delivery ?? `op-${runId}`,
      queued: false,
    });
  }

  deploying(runId: string, at: string, env?: string) {
    this.add(`${runId}:deploying`, 'deploy.started', at, this.subject(runId, env), {
      deploymentId: `d-${runId}`,
      target: 'lambda shop-prod:live',
      strategy: 'canary',
    });
  }

  landed(runId: string, at: string, env?: string) {
    this.add(`${runId}:landed`, 'deploy.succeeded', at, this.subject(runId, env), {
      deploymentId: `d-${runId}`,
      target: 'lambda shop-prod:live',
    });
  }

  rolledBack(runId: string, at: string) {
    this.add(`${runId}:rolled-back`, 'deploy.rolled_back', at, this.subject(runId), {
      deploymentId: `d-${runId}`,
      target: 'lambda shop-prod:live',
      reason: 'alarm shop-errors fired',
    });
  }

  failed(runId: string, at: string, stage: string) {
    this.add(`${runId}:failed`, 'run.failed', at, this.subject(runId), {
      stage,
      error: 'x',
      reason: `${stage} failed`,
    });
  }

  cancelled(runId: string, at: string) {
    this.add(`${runId}:cancel`, 'operator.action', at, this.subject(runId), {
      action: 'cancel',
      reason: 'wrong build',
      target: runId,
    });
  }

  private subject(runId: string, env = 'prod') {
    return { runId, environment: env, pipeline: 'shop' };
  }
}

/** One week of prod (and a staging deployment) with every edge the definitions name. */
function week(): Ledger {
  const l = new Ledger();
  // Before the period: the landing the first change is counted from.
  l.delivery('d8', '2026-10-30T09:00:00Z', ['2026-10-30T08:00:00Z']);
  l.run('r8', '2026-10-30T09:00:00Z', { delivery: 'd8' });
  l.deploying('r8', '2026-10-30T09:30:00Z');
  l.landed('r8', '2026-10-30T10:00:00Z');
  // r1: two commits, the first at midnight; lands at 06:00.
  l.delivery('d1', '2026-11-01T03:00:00Z', ['2026-11-01T02:00:00Z', '2026-11-01T00:00:00Z']);
  l.run('r1', '2026-11-01T03:00:00Z', { delivery: 'd1' });
  l.deploying('r1', '2026-11-01T04:00:00Z');
  l.landed('r1', '2026-11-01T06:00:00Z');
  // r2: rolled back by CodeDeploy at noon (a failed deployment).
  l.delivery('d2', '2026-11-02T10:30:00Z', ['2026-11-02T10:00:00Z']);
  l.run('r2', '2026-11-02T11:00:00Z', { delivery: 'd2' });
  l.deploying('r2', '2026-11-02T11:30:00Z');
  l.rolledBack('r2', '2026-11-02T12:00:00Z');
  l.failed('r2', '2026-11-02T12:00:01Z', 'deploy');
  // r3: lands at 15:00, releasing r2's change too (recovery 3 h, lead from r2's commit: 5 h).
  l.delivery('d3', '2026-11-02T13:10:00Z', ['2026-11-02T13:00:00Z']);
  l.run('r3', '2026-11-02T13:30:00Z', { delivery: 'd3' });
  l.deploying('r3', '2026-11-02T14:00:00Z');
  l.landed('r3', '2026-11-02T15:00:00Z');
  // r4 lands at 10:00 and an operator rolls it back at 12:00 (r5 lands 12:30): r4 failed.
  l.delivery('d4', '2026-11-03T08:30:00Z', ['2026-11-03T08:00:00Z']);
  l.run('r4', '2026-11-03T09:00:00Z', { delivery: 'd4' });
  l.deploying('r4', '2026-11-03T09:30:00Z');
  l.landed('r4', '2026-11-03T10:00:00Z');
  l.run('r5', '2026-11-03T12:00:00Z', { trigger: 'rollback', branch: 'release/1' });
  l.deploying('r5', '2026-11-03T12:10:00Z');
  l.landed('r5', '2026-11-03T12:30:00Z');
  // r6: cancelled mid-deployment by an operator: no deployment at all.
  l.delivery('d6', '2026-11-04T07:00:00Z', []);
  l.run('r6', '2026-11-04T07:00:00Z', { delivery: 'd6' });
  l.deploying('r6', '2026-11-04T07:30:00Z');
  l.cancelled('r6', '2026-11-04T07:40:00Z');
  l.failed('r6', '2026-11-04T07:41:00Z', 'deploy');
  // r7: a hotfix 45 h after r5 (outside the 24 h window): rework, but it fails nothing.
  l.delivery('d7', '2026-11-05T09:05:00Z', ['2026-11-05T09:00:00Z']);
  l.run('r7', '2026-11-05T09:10:00Z', { delivery: 'd7', branch: 'hotfix/login' });
  l.deploying('r7', '2026-11-05T09:20:00Z');
  l.landed('r7', '2026-11-05T09:40:00Z');
  // A run that failed its build never deployed: not counted anywhere.
  l.run('r10', '2026-11-06T09:00:00Z');
  l.failed('r10', '2026-11-06T09:10:00Z', 'build');
  // Staging, its own group.
  l.run('r9', '2026-11-01T04:00:00Z', { env: 'staging' });
  l.deploying('r9', '2026-11-01T04:30:00Z', 'staging');
  l.landed('r9', '2026-11-01T05:00:00Z', 'staging');
  return l;
}

const PERIOD = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-08T00:00:00Z') };

describe('DORA metrics from the ledger', () => {
  it('computes each metric of an environment with the records it counted', () => {
    const report = computeDora(week().events, { ...PERIOD, environment: 'prod' });
    expect(report.groups.map((g) => `${g.pipeline}/${g.environment}`)).toEqual(['shop/prod']);
    expect(report.deploymentFrequency).toEqual({
      deployments: 5,
      perDay: 0.71,
      deploymentDaysPerWeek: 4,
      band: 'high',
      records: ['r1:landed', 'r3:landed', 'r4:landed', 'r5:landed', 'r7:landed'],
    });
    expect(report.leadTimeForChanges).toMatchObject({ count: 4, medianHours: 2, p90Hours: 6, band: 'elite' });
    expect(report.leadTimeForChanges.changes).toEqual([
      {
        runId: 'r1',
        firstCommitAt: '2026-11-01T00:00:00.000Z',
        deployedAt: '2026-11-01T06:00:00.000Z',
        hours: 6,
        from: 'commit',
      },
      {
        runId: 'r3',
        firstCommitAt: '2026-11-02T10:00:00.000Z',
        deployedAt: '2026-11-02T15:00:00.000Z',
        hours: 5,
        from: 'commit',
      },
      {
        runId: 'r4',
        firstCommitAt: '2026-11-03T08:00:00.000Z',
        deployedAt: '2026-11-03T10:00:00.000Z',
        hours: 2,
        from: 'commit',
      },
      {
        runId: 'r7',
        firstCommitAt: '2026-11-05T09:00:00.000Z',
        deployedAt: '2026-11-05T09:40:00.000Z',
        hours: 0.67,
        from: 'commit',
      },
    ]);
    expect(report.leadTimeForChanges.records).toEqual(
      expect.arrayContaining(['r3:landed', 'd2:accepted', 'r1:landed', 'd1:accepted']),
    );
    expect(report.changeFailureRate).toEqual({
      deployments: 6,
      counted: 2,
      rate: 0.33,
      band: 'low',
      records: ['r2:rolled-back', 'r4:landed'],
      failures: [
        { runId: 'r2', why: 'alarm shop-errors fired' },
        { runId: 'r4', why: 'followed by rollback run r5' },
      ],
    });
    expect(report.failedDeploymentRecoveryTime).toEqual({
      count: 2,
      medianHours: 2.5,
      p90Hours: 3,
      band: 'high',
      records: ['r2:rolled-back', 'r3:landed', 'r4:landed', 'r5:landed'],
      unrecovered: 0,
    });
    expect(report.reworkRate).toEqual({
      deployments: 6,
      counted: 2,
      rate: 0.33,
      band: null,
      records: ['r5:landed', 'r7:landed'],
    });
  });

  it('groups by pipeline and environment, and totals the selection', () => {
    const report = computeDora(week().events, PERIOD);
    expect(report.groups.map((g) => [g.environment, g.deploymentFrequency.deployments])).toEqual([
      ['prod', 5],
      ['staging', 1],
    ]);
    expect(report.deploymentFrequency.deployments).toBe(6);
    expect(computeDora(week().events, { ...PERIOD, pipeline: 'other' }).groups).toEqual([]);
  });

  it('a wider failure window makes the hotfix fail the rollback before it; a narrower one forgives r4', () => {
    const wide = computeDora(week().events, { ...PERIOD, environment: 'prod', failureWindowHours: 48 });
    expect(wide.changeFailureRate.failures.map((f) => f.runId)).toEqual(['r2', 'r4', 'r5']);
    const narrow = computeDora(week().events, { ...PERIOD, environment: 'prod', failureWindowHours: 1 });
    expect(narrow.changeFailureRate.failures.map((f) => f.runId)).toEqual(['r2']);
    const noHotfixes = computeDora(week().events, { ...PERIOD, environment: 'prod', hotfixBranches: [] });
    expect(noHotfixes.reworkRate.records).toEqual(['r5:landed']);
  });

  it('counts a deployment that failed after landing (an alarm in its bake) as failed, once', () => {
    const l = week();
    l.rolledBack('r7', '2026-11-05T10:00:00Z');
    l.failed('r7', '2026-11-05T10:00:01Z', 'deploy');
    const report = computeDora(l.events, { ...PERIOD, environment: 'prod' });
    expect(report.changeFailureRate.failures.map((f) => f.runId)).toEqual(['r2', 'r4', 'r7']);
    expect(report.deploymentFrequency.deployments).toBe(4);
    expect(report.failedDeploymentRecoveryTime).toMatchObject({ count: 2, unrecovered: 1 });
  });

  it('still counts a run that landed though an operator asked to cancel it (the cancel is recorded before it acts)', () => {
    const l = week();
    l.cancelled('r7', '2026-11-05T09:30:00Z');
    const report = computeDora(l.events, { ...PERIOD, environment: 'prod' });
    const uncancelled = computeDora(week().events, { ...PERIOD, environment: 'prod' });
    expect(report.deploymentFrequency.deployments).toBe(uncancelled.deploymentFrequency.deployments);
    expect(report.deploymentFrequency.deployments).toBe(5);
    // r6, cancelled before it landed, is still no deployment.
    expect(report.changeFailureRate.failures.map((f) => f.runId)).not.toContain('r6');
  });

  it('keeps a deployment that failed before an operator cancelled its run as failed', () => {
    // CodeDeploy rolled r11 back mid-shift; before RecordFailure closed the run, an operator cancelled it.
    const l = week();
    l.run('r11', '2026-11-06T12:00:00Z');
    l.deploying('r11', '2026-11-06T12:10:00Z');
    l.rolledBack('r11', '2026-11-06T12:20:00Z');
    l.cancelled('r11', '2026-11-06T12:20:05Z');
    l.failed('r11', '2026-11-06T12:20:06Z', 'deploy');
    const report = computeDora(l.events, { ...PERIOD, environment: 'prod' });
    expect(report.changeFailureRate.failures.map((f) => f.runId)).toEqual(['r2', 'r4', 'r11']);
    // In any order of the events; r6, cancelled before its deployment failed, is still none.
    const reversed = computeDora([...l.events].reverse(), { ...PERIOD, environment: 'prod' });
    expect(reversed.changeFailureRate.failures.map((f) => f.runId)).toEqual(['r2', 'r4', 'r11']);
  });

  it('starts no lead time at a commit dated after the push that brought it', () => {
    // A developer dates a commit in 2030 so the change reads as deployed at once.
    const l = new Ledger();
    l.delivery('dx', '2026-11-02T08:00:00Z', ['2030-01-01T00:00:00Z']);
    l.run('rx', '2026-11-02T08:30:00Z', { delivery: 'dx' });
    l.landed('rx', '2026-11-02T10:00:00Z');
    l.delivery('dy', '2026-11-03T08:00:00Z', ['2030-01-01T00:00:00Z', '2026-11-03T06:00:00Z']);
    l.run('ry', '2026-11-03T08:30:00Z', { delivery: 'dy' });
    l.landed('ry', '2026-11-03T10:00:00Z');
    const report = computeDora(l.events, PERIOD);
    expect(report.leadTimeForChanges.changes.map((c) => [c.runId, c.hours, c.from])).toEqual([
      ['rx', 2, 'delivery'],
      ['ry', 4, 'commit'],
    ]);
  });

  it('falls back to the delivery, then the run, when no commit time is known', () => {
    const l = new Ledger();
    l.delivery('dx', '2026-11-02T08:00:00Z', []);
    l.run('rx', '2026-11-02T08:30:00Z', { delivery: 'dx' });
    l.landed('rx', '2026-11-02T10:00:00Z');
    l.run('ry', '2026-11-03T08:00:00Z', { trigger: 'push' });
    l.landed('ry', '2026-11-03T09:00:00Z');
    const report = computeDora(l.events, PERIOD);
    expect(report.leadTimeForChanges.changes.map((c) => [c.runId, c.hours, c.from])).toEqual([
      ['rx', 2, 'delivery'],
      ['ry', 1, 'run'],
    ]);
  });

  it('says nothing rather than zero for a period without deployments', () => {
    const report = computeDora(week().events, {
      from: new Date('2027-01-01T00:00:00Z'),
      to: new Date('2027-01-08T00:00:00Z'),
    });
    expect(report.groups).toEqual([]);
    expect(report.deploymentFrequency).toMatchObject({ deployments: 0, band: null });
    expect(report.leadTimeForChanges).toMatchObject({ count: 0, medianHours: null, band: null });
    expect(report.changeFailureRate).toMatchObject({ rate: null, band: null });
  });

  it('prints a row per pipeline and environment, and the total, each figure with its band', () => {
    const text = doraTable(computeDora(week().events, PERIOD));
    expect(text).toContain('Delivery metrics 2026-11-01 → 2026-11-08 (7 days; failure window 24 h)');
    expect(text).toMatch(
      /^shop\s+prod\s+5\s+0\.71 high\s+4\s+2 h \/ 6 h elite\s+33% \(2\/6\) low\s+2\.5 h high\s+33% \(2\/6\)$/m,
    );
    expect(text).toMatch(/^shop\s+staging\s+1\s/m);
    expect(text).toMatch(/^all\s+6\s/m);
    expect(doraTable(computeDora([], PERIOD))).toContain('No deployments in this period.');
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNull();
  });
});
