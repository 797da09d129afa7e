import type { AuditEvent } from '../../events';

/**
 * DORA's five delivery metrics, computed from the audit ledger alone: every number names the
 * ledger records it counted, so an auditor can check it. Definitions (README, "Delivery metrics"):
 *
 * - A deployment is a run that reached CodeDeploy (`deploy.started`), or that found its version
 *   already live (`deploy.succeeded` without a start). It lands when `deploy.succeeded` is
 *   recorded, or fails when `deploy.rolled_back` or a `run.failed` of stage `deploy` is. A run an
 *   operator cancelled before it landed or failed is no deployment (nothing was released, nobody's
 *   change failed); one that had already failed stays a failed deployment.
 * - Deployment frequency counts landed deployments in the period, per day and deployment days
 *   per week.
 * - Lead time for changes: from the first commit of the change to the deployment landing. The
 *   change is every commit the deliveries of the environment's runs carried since its previous
 *   landed deployment (runs superseded on the way included); without commit times, the time
 *   Gantry accepted the first delivery; for a run no delivery started, the run's start.
 *   Rollbacks bring no change and have no lead time.
 * - Change failure rate: failed deployments, and landed ones followed by a rollback or a hotfix
 *   deployment to the same environment within the window, over all deployments.
 * - Failed-deployment recovery time: from the failure (the failed deployment's failure record,
 *   or the landing of a deployment that was then rolled back or hot-fixed) to the environment's
 *   next landed deployment that did not fail itself.
 * - Rework rate (DORA 2024): deployments that were rollbacks or hotfixes over all deployments.
 */

export type Band = 'elite' | 'high' | 'medium' | 'low';

export interface DoraOptions {
  readonly from: Date;
  readonly to: Date;
  readonly pipeline?: string;
  readonly environment?: string;
  /** A landed deployment followed by a rollback or hotfix within this many hours failed. @default 24 */
  readonly failureWindowHours?: number;
  /** Branch globs (`*` within a segment, `**` across) whose deployments are hotfixes. @default ['hotfix/**'] */
  readonly hotfixBranches?: readonly string[];
}

export interface DeploymentFrequency {
  readonly deployments: number;
  readonly perDay: number;
  readonly deploymentDaysPerWeek: number;
  readonly band: Band | null;
  readonly records: readonly string[];
}

export interface Durations {
  readonly count: number;
  readonly medianHours: number | null;
  readonly p90Hours: number | null;
  readonly band: Band | null;
  readonly records: readonly string[];
}

export interface LeadTimes extends Durations {
  readonly changes: readonly {
    readonly runId: string;
    readonly firstCommitAt: string;
    readonly deployedAt: string;
    readonly hours: number;
    /** What the change's start was read from: a commit's time, a delivery's acceptance, a run's start. */
    readonly from: 'commit' | 'delivery' | 'run';
  }[];
}

export interface Rate {
  readonly deployments: number;
  readonly counted: number;
  readonly rate: number | null;
  readonly band: Band | null;
  readonly records: readonly string[];
}

export interface ChangeFailures extends Rate {
  readonly failures: readonly { readonly runId: string; readonly why: string }[];
}

export interface Recoveries extends Durations {
  /** Failures in the period with no landed deployment after them yet. */
  readonly unrecovered: number;
}

export interface DoraMetrics {
  readonly deploymentFrequency: DeploymentFrequency;
  readonly leadTimeForChanges: LeadTimes;
  readonly changeFailureRate: ChangeFailures;
  readonly failedDeploymentRecoveryTime: Recoveries;
  readonly reworkRate: Rate;
}

export interface DoraGroup extends DoraMetrics {
  readonly pipeline: string;
  readonly environment: string;
}

export interface DoraReport extends DoraMetrics {
  readonly period: { readonly from: string; readonly to: string; readonly days: number };
  readonly failureWindowHours: number;
  readonly groups: readonly DoraGroup[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What the ledger says about one run, gathered in one pass. */
interface RunFacts {
  readonly runId: string;
  pipeline: string | null;
  environment: string | null;
  trigger: string | null;
  branch: string | null;
  deliveryId: string | null;
  startedAt: number | null;
  startedRecord: string | null;
  deployStarted: string | null;
  landedAt: number | null;
  landedRecord: string | null;
  failedAt: number | null;
  failedRecord: string | null;
  failedWhy: string | null;
  /** When an operator first asked to cancel it. */
  cancelledAt: number | null;
}

interface Delivery {
  readonly acceptedAt: number;
  readonly record: string;
  readonly firstCommitAt: number | null;
}

/** A run that was a deployment, as the metrics count it. */
interface Deployment {
  readonly run: RunFacts;
  /** When it landed or failed. */
  readonly at: number;
  readonly landed: boolean;
  readonly record: string;
  readonly kind: 'change' | 'rollback' | 'hotfix';
}

/** Computes the metrics over events in any order (the ledger's, or an export's). */
export function computeDora(events: Iterable<AuditEvent>, options: DoraOptions): DoraReport {
  const runs = new Map<string, RunFacts>();
  const deliveries = new Map<string, Delivery>();
  const cancels = new Map<string, number>();
  for (const event of events) gather(event, runs, deliveries, cancels);
  for (const [runId, at] of cancels) {
    const run = runs.get(runId);
    if (run !== undefined) run.cancelledAt = at;
  }
  const windowHours = options.failureWindowHours ?? 24;
  const hotfix = globsOf(options.hotfixBranches ?? ['hotfix/**']);
  const lanes = new Map<string, { deployments: Deployment[]; runs: RunFacts[] }>();
  for (const run of runs.values()) {
    if (run.pipeline === null || run.environment === null) continue;
    if (options.pipeline !== undefined && run.pipeline !== options.pipeline) continue;
    if (options.environment !== undefined && run.environment !== options.environment) continue;
    const key = `${run.pipeline}\u0000${run.environment}`;
    const lane = lanes.get(key) ?? { deployments: [], runs: [] };
    lanes.set(key, lane);
    if (run.startedAt !== null) lane.runs.push(run);
    const deployment = deploymentOf(run, hotfix);
    if (deployment !== undefined) lane.deployments.push(deployment);
  }
  const period = { from: options.from.getTime(), to: options.to.getTime() };
  const groups: DoraGroup[] = [];
  const all: Measured[] = [];
  for (const { deployments: lane, runs: laneRuns } of lanes.values()) {
    lane.sort((a, b) => a.at - b.at || a.run.runId.localeCompare(b.run.runId));
    laneRuns.sort((a, b) => startedAt(a) - startedAt(b));
    const first = lane[0];
    if (first === undefined) continue;
    const measured = measureLane(lane, laneRuns, deliveries, period, windowHours * HOUR);
    if (measured.deployments.length === 0 && measured.failures.length === 0) continue;
    all.push(measured);
    groups.push({
      pipeline: first.run.pipeline ?? '',
      environment: first.run.environment ?? '',
      ...metricsOf([measured], period),
    });
  }
  groups.sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.environment.localeCompare(b.environment));
  return {
    period: {
      from: options.from.toISOString(),
      to: options.to.toISOString(),
      days: round((period.to - period.from) / DAY),
    },
    failureWindowHours: windowHours,
    ...metricsOf(all, period),
    groups,
  };
}

function gather(
  event: AuditEvent,
  runs: Map<string, RunFacts>,
  deliveries: Map<string, Delivery>,
  cancels: Map<string, number>,
): void {
  const at = Date.parse(event.time);
  if (event.type === 'webhook.accepted') {
    const details = event.details as { deliveryId?: string; commits?: { timestamp?: string | null }[] };
    // A commit's time is its author's word: one later than the push that brought it is no start
    // (a commit dated in the future would make any lead time zero).
    const times = (details.commits ?? [])
      .map((c) => (c.timestamp ? Date.parse(c.timestamp) : Number.NaN))
      .filter((t) => !Number.isNaN(t) && t <= at);
    deliveries.set(details.deliveryId ?? event.correlationId, {
      acceptedAt: at,
      record: event.id,
      firstCommitAt: times.length > 0 ? Math.min(...times) : null,
    });
    return;
  }
  if (event.type === 'operator.action') {
    const details = event.details as { action?: string; target?: string | null };
    if (details.action === 'cancel' && details.target)
      cancels.set(details.target, Math.min(at, cancels.get(details.target) ?? at));
    return;
  }
  const runId = event.subject.runId;
  if (runId === null || runId === undefined) return;
  const run = runs.get(runId) ?? blankRun(runId);
  runs.set(runId, run);
  run.pipeline ??= event.subject.pipeline ?? null;
  run.environment ??= event.subject.environment ?? null;
  switch (event.type) {
    case 'run.started': {
      const details = event.details as { trigger?: string; branch?: string | null; deliveryId?: string };
      run.trigger = details.trigger ?? null;
      run.branch = details.branch ?? null;
      run.deliveryId = details.deliveryId ?? null;
      run.startedAt = at;
      run.startedRecord = event.id;
      break;
    }
    case 'deploy.started':
      run.deployStarted ??= event.id;
      break;
    case 'deploy.succeeded':
      if (run.landedAt === null) {
        run.landedAt = at;
        run.landedRecord = event.id;
      }
      break;
    case 'deploy.rolled_back':
      failRun(run, at, event.id, (event.details as { reason?: string }).reason ?? 'rolled back');
      break;
    case 'run.failed': {
      const details = event.details as { stage?: string; reason?: string };
      if (details.stage === 'deploy') failRun(run, at, event.id, details.reason ?? 'deployment failed');
      break;
    }
  }
}

function blankRun(runId: string): RunFacts {
  return {
    runId,
    pipeline: null,
    environment: null,
    trigger: null,
    branch: null,
    deliveryId: null,
    startedAt: null,
    startedRecord: null,
    deployStarted: null,
    landedAt: null,
    landedRecord: null,
    failedAt: null,
    failedRecord: null,
    failedWhy: null,
    cancelledAt: null,
  };
}

function failRun(run: RunFacts, at: number, record: string, why: string): void {
  // The earliest failure, whatever order the events come in.
  if (run.failedAt !== null && run.failedAt <= at) return;
  run.failedAt = at;
  run.failedRecord = record;
  run.failedWhy = why;
}

function deploymentOf(run: RunFacts, hotfix: RegExp[]): Deployment | undefined {
  // A cancel is written before the stop it asks for: a run that landed all the same is a deployment,
  // and so is one whose deployment had already failed (rolled back) when the cancel came.
  if (
    run.cancelledAt !== null &&
    run.landedAt === null &&
    !(run.failedAt !== null && run.deployStarted !== null && run.failedAt < run.cancelledAt)
  )
    return undefined;
  const kind =
    run.trigger === 'rollback' ? 'rollback' : hotfix.some((g) => g.test(run.branch ?? '')) ? 'hotfix' : 'change';
  // A failure after landing (an alarm during the bake) is the deployment's failure.
  if (run.failedAt !== null && run.failedRecord !== null && (run.deployStarted !== null || run.landedAt !== null))
    return { run, at: run.failedAt, landed: false, record: run.failedRecord, kind };
  if (run.landedAt !== null && run.landedRecord !== null)
    return { run, at: run.landedAt, landed: true, record: run.landedRecord, kind };
  return undefined;
}

interface Measured {
  readonly deployments: Deployment[];
  readonly failures: { readonly deployment: Deployment; readonly why: string; readonly since: number }[];
  readonly leads: LeadTimes['changes'][number][];
  readonly leadRecords: string[];
  readonly recoveries: { readonly hours: number; readonly records: string[] }[];
  readonly unrecovered: number;
}

/** One environment's deployments in time order: what falls in the period, and what each caused. */
function measureLane(
  lane: readonly Deployment[],
  laneRuns: readonly RunFacts[],
  deliveries: ReadonlyMap<string, Delivery>,
  period: { from: number; to: number },
  window: number,
): Measured {
  const inPeriod = (t: number) => t >= period.from && t <= period.to;
  const startOf = (d: Deployment) => d.run.startedAt ?? d.at;
  const remedies = lane.filter((d) => d.kind !== 'change').sort((a, b) => startOf(a) - startOf(b));
  const landed = lane.filter((d) => d.landed);
  const failures: Measured['failures'] = [];
  const failed = new Set<Deployment>();
  for (const d of lane) {
    if (!d.landed) {
      failed.add(d);
      if (inPeriod(d.at)) failures.push({ deployment: d, why: d.run.failedWhy ?? 'failed', since: d.at });
      continue;
    }
    // A rollback or hotfix remedies what was live when it started: the last deployment to land before it.
    const remedy = remedies[firstAfter(remedies, d.at, startOf)];
    const replaced = landed[firstAfter(landed, d.at, (n) => n.at)];
    const live = remedy !== undefined && (replaced === undefined || startOf(remedy) < replaced.at);
    if (remedy !== undefined && live && startOf(remedy) - d.at <= window) {
      failed.add(d);
      if (inPeriod(d.at))
        failures.push({ deployment: d, why: `followed by ${remedy.kind} run ${remedy.run.runId}`, since: d.at });
    }
  }
  const leads: Measured['leads'] = [];
  const leadRecords: string[] = [];
  let previousLanded = Number.NEGATIVE_INFINITY;
  for (const d of lane) {
    if (d.landed && d.kind !== 'rollback' && inPeriod(d.at)) {
      const lead = leadOf(d, laneRuns, deliveries, previousLanded);
      leads.push(lead.change);
      leadRecords.push(d.record, ...lead.records);
    }
    if (d.landed) previousLanded = d.at;
  }
  const good = landed.filter((d) => !failed.has(d));
  const recoveries: Measured['recoveries'] = [];
  let unrecovered = 0;
  for (const f of failures) {
    const next = good[firstAfter(good, f.since, (d) => d.at)];
    if (next === undefined) unrecovered++;
    else recoveries.push({ hours: (next.at - f.since) / HOUR, records: [f.deployment.record, next.record] });
  }
  return { deployments: lane.filter((d) => inPeriod(d.at)), failures, leads, leadRecords, recoveries, unrecovered };
}

/** The index of the first item (sorted by `key`) whose key is after `t`; the length when none is. */
function firstAfter<T>(sorted: readonly T[], t: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid] as T) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The change a landed deployment released: the runs of its environment since the previous landing, up to it. */
function leadOf(
  d: Deployment,
  laneRuns: readonly RunFacts[],
  deliveries: ReadonlyMap<string, Delivery>,
  previousLanded: number,
): { change: LeadTimes['changes'][number]; records: string[] } {
  const upTo = d.run.startedAt ?? d.at;
  const runs: RunFacts[] = [];
  for (let i = firstAfter(laneRuns, previousLanded, startedAt); i < laneRuns.length; i++) {
    const r = laneRuns[i] as RunFacts;
    if (startedAt(r) > upTo) break;
    if (r.trigger !== 'rollback') runs.push(r);
  }
  if (!runs.includes(d.run)) runs.push(d.run);
  const sources = runs.map((r) => ({
    run: r,
    delivery: r.deliveryId === null ? undefined : deliveries.get(r.deliveryId),
  }));
  const earliest = <T>(items: T[], time: (item: T) => number | null | undefined) =>
    items.reduce<{ item: T; at: number } | undefined>((best, item) => {
      const at = time(item);
      return at === null || at === undefined || (best !== undefined && best.at <= at) ? best : { item, at };
    }, undefined);
  const byCommit = earliest(sources, (s) => s.delivery?.firstCommitAt);
  const byDelivery = earliest(sources, (s) => s.delivery?.acceptedAt);
  const byRun = earliest(sources, (s) => s.run.startedAt);
  const [start, from, record] =
    byCommit !== undefined
      ? [byCommit.at, 'commit' as const, byCommit.item.delivery?.record]
      : byDelivery !== undefined
        ? [byDelivery.at, 'delivery' as const, byDelivery.item.delivery?.record]
        : [byRun?.at ?? d.at, 'run' as const, byRun?.item.run.startedRecord ?? undefined];
  return {
    change: {
      runId: d.run.runId,
      firstCommitAt: new Date(start).toISOString(),
      deployedAt: new Date(d.at).toISOString(),
      hours: round(Math.max(0, d.at - start) / HOUR),
      from,
    },
    records: record === undefined || record === null ? [] : [record],
  };
}

function startedAt(run: RunFacts): number {
  return run.startedAt ?? Number.NEGATIVE_INFINITY;
}

function metricsOf(lanes: readonly Measured[], period: { from: number; to: number }): DoraMetrics {
  const deployments = lanes.flatMap((l) => l.deployments);
  const landed = deployments.filter((d) => d.landed);
  const days = Math.max((period.to - period.from) / DAY, 1 / 24);
  const perDay = landed.length / days;
  const deploymentDays = new Set(landed.map((d) => new Date(d.at).toISOString().slice(0, 10))).size;
  const failures = lanes.flatMap((l) => l.failures);
  const leads = lanes.flatMap((l) => l.leads);
  const recoveries = lanes.flatMap((l) => l.recoveries);
  const rework = deployments.filter((d) => d.kind !== 'change');
  const leadMedian = percentile(
    leads.map((l) => l.hours),
    50,
  );
  const recoveryMedian = percentile(
    recoveries.map((r) => r.hours),
    50,
  );
  const failureRate = deployments.length === 0 ? null : failures.length / deployments.length;
  return {
    deploymentFrequency: {
      deployments: landed.length,
      perDay: round(perDay),
      deploymentDaysPerWeek: round(deploymentDays / Math.max(days / 7, 1)),
      band: landed.length === 0 ? null : frequencyBand(perDay),
      records: landed.map((d) => d.record),
    },
    leadTimeForChanges: {
      count: leads.length,
      medianHours: leadMedian,
      p90Hours: percentile(
        leads.map((l) => l.hours),
        90,
      ),
      band: leadMedian === null ? null : durationBand(leadMedian, [24, 24 * 7, 24 * 30]),
      records: [...new Set(lanes.flatMap((l) => l.leadRecords))],
      changes: leads,
    },
    changeFailureRate: {
      deployments: deployments.length,
      counted: failures.length,
      rate: failureRate === null ? null : round(failureRate),
      band: failureRate === null ? null : rateBand(failureRate),
      records: failures.map((f) => f.deployment.record),
      failures: failures.map((f) => ({ runId: f.deployment.run.runId, why: f.why })),
    },
    failedDeploymentRecoveryTime: {
      count: recoveries.length,
      medianHours: recoveryMedian,
      p90Hours: percentile(
        recoveries.map((r) => r.hours),
        90,
      ),
      band: recoveryMedian === null ? null : durationBand(recoveryMedian, [1, 24, 24 * 7]),
      records: [...new Set(recoveries.flatMap((r) => r.records))],
      unrecovered: lanes.reduce((n, l) => n + l.unrecovered, 0),
    },
    reworkRate: {
      deployments: deployments.length,
      counted: rework.length,
      rate: deployments.length === 0 ? null : round(rework.length / deployments.length),
      // DORA published no performance bands for rework rate (introduced in 2024).
      band: null,
      records: rework.map((d) => d.record),
    },
  };
}

/** DORA's bands: elite deploys on demand (daily or more), high weekly to daily, medium monthly to weekly. */
function frequencyBand(perDay: number): Band {
  if (perDay >= 1) return 'elite';
  if (perDay >= 1 / 7) return 'high';
  if (perDay >= 1 / 30) return 'medium';
  return 'low';
}

/** Below the first limit (hours) elite, the second high, the third medium, else low. */
function durationBand(hours: number, [elite, high, medium]: readonly [number, number, number]): Band {
  if (hours < elite) return 'elite';
  if (hours < high) return 'high';
  if (hours < medium) return 'medium';
  return 'low';
}

/** Change failure rate bands as DORA's 2022 clusters drew them (0–15 %, 16–30 %, above), elite at 5 %. */
function rateBand(rate: number): Band {
  if (rate <= 0.05) return 'elite';
  if (rate <= 0.15) return 'high';
  if (rate <= 0.3) return 'medium';
  return 'low';
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return round(sorted[rank - 1] ?? 0);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function globsOf(globs: readonly string[]): RegExp[] {
  return globs.map((glob) => {
    const pattern = glob
      .split(/(\*\*|\*)/)
      .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${pattern}$`);
  });
}
