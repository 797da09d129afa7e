import { compileExpression, UnsupportedExpressionError } from './expression';
import type { RequestMetrics, RequestSample } from './metrics';
import type { AlarmSpec, AlarmState, MetricSpec } from './types';

/** An alarm's state as DescribeAlarms reports it. */
export interface AlarmStatus {
  readonly spec: AlarmSpec;
  readonly state: AlarmState;
  readonly reason: string;
  /** Epoch ms of the last state change, with a fraction. */
  readonly updatedAt: number;
  /** The value of the last evaluation with enough data. */
  readonly value?: number;
  /** Requests in the window at the last evaluation. */
  readonly requests: number;
}

export type AlarmListener = (status: AlarmStatus, previous: AlarmState) => void;

export interface LocalAlarmsOptions {
  readonly alarms: readonly AlarmSpec[];
  readonly metrics: RequestMetrics;
  /** Divides each alarm's window (Period × EvaluationPeriods). @default 1 */
  readonly timeScale?: number;
  /** Fewer requests in the window is too little data to judge. @default 5 */
  readonly minRequests?: number;
}

interface Evaluation {
  readonly state: AlarmState | 'KEEP';
  readonly reason: string;
  readonly value?: number;
}

/**
 * An alarm whose window holds more requests than this is evaluated at most every
 * THROTTLED_GAP_MS as requests arrive (and once more after the last); smaller windows are
 * evaluated at every request, which costs little and sees a breach at the request that causes it.
 */
const EVERY_REQUEST_UP_TO = 2_000;
const THROTTLED_GAP_MS = 10;

/**
 * The template's CloudWatch alarms, evaluated locally over the requests the service proxies
 * answered: a window of Period × EvaluationPeriods (divided by the time scale) ending now, the
 * metric (Errors, Invocations, Duration of `AWS/Lambda`, by FunctionName, Resource `fn:alias` and
 * ExecutedVersion) or metric math over them, compared with the threshold. Alarms are re-evaluated
 * as requests arrive, so a breach is seen at the request that causes it.
 */
export class LocalAlarms {
  private readonly statuses = new Map<string, AlarmStatus>();
  private readonly evaluatedAt = new Map<string, number>();
  private readonly windowCounts = new Map<string, number>();
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  private readonly manualUntil = new Map<string, number>();
  private readonly listeners = new Set<AlarmListener>();
  private readonly byFunction = new Map<string, AlarmSpec[]>();
  private readonly stopListening: () => void;
  private readonly timeScale: number;
  private readonly minRequests: number;

  constructor(private readonly options: LocalAlarmsOptions) {
    this.timeScale = options.timeScale ?? 1;
    this.minRequests = options.minRequests ?? 5;
    const now = preciseNow();
    for (const spec of options.alarms) {
      this.statuses.set(spec.name, {
        spec,
        state: 'INSUFFICIENT_DATA',
        requests: 0,
        reason: 'Unchecked: Initial alarm creation',
        updatedAt: now,
      });
      for (const fn of functionsOf(spec)) this.byFunction.set(fn, [...(this.byFunction.get(fn) ?? []), spec]);
    }
    this.stopListening = options.metrics.subscribe((sample) => this.onSample(sample));
  }

  names(): string[] {
    return [...this.statuses.keys()];
  }

  has(name: string): boolean {
    return this.statuses.has(name);
  }

  /** The alarms' states now (each evaluated first), in the order asked; unknown names are left out. */
  describe(names: readonly string[] = this.names()): AlarmStatus[] {
    return names.flatMap((name) => {
      const status = this.evaluate(name);
      return status === undefined ? [] : [status];
    });
  }

  /** Evaluates one alarm now; undefined for an alarm the template does not have. */
  evaluate(name: string, now = preciseNow()): AlarmStatus | undefined {
    const status = this.statuses.get(name);
    if (status === undefined) return undefined;
    this.evaluatedAt.set(name, now);
    if ((this.manualUntil.get(name) ?? 0) > now) return status;
    const next = this.evaluation(status.spec, now);
    return this.transition(status, next, now);
  }

  /** SetAlarmState: the state holds until the alarm's next window has passed, as a period does in AWS. */
  setState(name: string, state: AlarmState, reason: string): AlarmStatus | undefined {
    const status = this.statuses.get(name);
    if (status === undefined) return undefined;
    const now = preciseNow();
    this.manualUntil.set(name, now + this.windowMs(status.spec));
    return this.transition(status, { state, reason }, now);
  }

  /** Calls `listener` whenever an alarm changes state; returns the function that stops it. */
  onChange(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Each alarm's window in (compressed) ms. */
  windowMs(spec: AlarmSpec): number {
    return (spec.periodSeconds * spec.evaluationPeriods * 1000) / this.timeScale;
  }

  close(): void {
    this.stopListening();
    this.listeners.clear();
    for (const timer of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
  }

  private transition(status: AlarmStatus, next: Evaluation, now: number): AlarmStatus {
    const state = next.state === 'KEEP' ? status.state : next.state;
    const updated: AlarmStatus = {
      spec: status.spec,
      state,
      requests: this.windowCounts.get(status.spec.name) ?? 0,
      reason: state === status.state ? status.reason : next.reason,
      updatedAt: state === status.state ? status.updatedAt : now,
      ...(next.value === undefined
        ? status.value === undefined
          ? {}
          : { value: status.value }
        : { value: next.value }),
    };
    this.statuses.set(status.spec.name, updated);
    if (state !== status.state) for (const listener of this.listeners) listener(updated, status.state);
    return updated;
  }

  private onSample(sample: RequestSample): void {
    for (const spec of this.byFunction.get(sample.functionName) ?? []) {
      const busy = (this.windowCounts.get(spec.name) ?? 0) > EVERY_REQUEST_UP_TO;
      const since = sample.at - (this.evaluatedAt.get(spec.name) ?? 0);
      if (!busy || since >= THROTTLED_GAP_MS) this.evaluate(spec.name);
      else if (!this.trailing.has(spec.name)) {
        const timer = setTimeout(() => {
          this.trailing.delete(spec.name);
          this.evaluate(spec.name);
        }, THROTTLED_GAP_MS - since);
        this.trailing.set(spec.name, timer.unref());
      }
    }
  }

  private evaluation(spec: AlarmSpec, now: number): Evaluation {
    const windowMs = this.windowMs(spec);
    const values = new Map<string, number>();
    let requests = 0;
    for (const query of spec.queries) {
      if (query.metric === undefined) continue;
      const samples = this.options.metrics
        .since(query.metric.dimensions.FunctionName ?? '', now - windowMs)
        .filter((s) => matchesDimensions(query.metric as MetricSpec, s));
      requests = Math.max(requests, samples.length);
      values.set(query.id, statistic(query.metric, samples));
    }
    this.windowCounts.set(spec.name, requests);
    if (requests < this.minRequests) return missingData(spec, requests);
    let value: number;
    try {
      value = resultOf(spec, values);
    } catch (error) {
      if (!(error instanceof UnsupportedExpressionError)) throw error;
      return { state: 'INSUFFICIENT_DATA', reason: `Local mode cannot evaluate this alarm: ${error.message}` };
    }
    if (Number.isNaN(value)) return missingData(spec, requests);
    const breaching = compare(spec.comparison, value, spec.threshold);
    if (breaching === undefined) {
      return { state: 'INSUFFICIENT_DATA', reason: `Local mode cannot evaluate ${spec.comparison}` };
    }
    const verb = breaching ? 'crossed' : 'did not cross';
    return {
      state: breaching ? 'ALARM' : 'OK',
      value,
      reason: `Threshold ${verb}: ${round(value)} over ${requests} requests in the last ${round(windowMs)} ms (${spec.comparison} ${spec.threshold}).`,
    };
  }
}

function functionsOf(spec: AlarmSpec): string[] {
  return [...new Set(spec.queries.flatMap((q) => q.metric?.dimensions.FunctionName ?? []))];
}

function matchesDimensions(metric: MetricSpec, sample: RequestSample): boolean {
  if (metric.namespace !== 'AWS/Lambda') return false;
  const { Resource: resource, ExecutedVersion: version } = metric.dimensions;
  if (
    resource !== undefined &&
    resource !== sample.functionName &&
    resource !== `${sample.functionName}:${sample.alias}`
  )
    return false;
  return version === undefined || version === sample.version;
}

/** What one request contributes to a Lambda metric; undefined for metrics local mode does not keep. */
function sampleValue(metricName: string, sample: RequestSample): number | undefined {
  if (metricName === 'Invocations') return 1;
  if (metricName === 'Errors') return sample.status >= 500 ? 1 : 0;
  if (metricName === 'Duration') return sample.ms;
  if (metricName === 'Throttles') return sample.status === 429 ? 1 : 0;
  return undefined;
}

/** Sum, SampleCount, Average, Minimum, Maximum or pNN of the window's values; NaN without data. */
function statistic(metric: MetricSpec, samples: readonly RequestSample[]): number {
  const values = samples.flatMap((s) => sampleValue(metric.name, s) ?? []);
  if (values.length === 0) return Number.NaN;
  const stat = metric.stat;
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat === 'SampleCount') return values.length;
  if (stat === 'Average') return values.reduce((a, b) => a + b, 0) / values.length;
  if (stat === 'Minimum') return Math.min(...values);
  if (stat === 'Maximum') return Math.max(...values);
  const p = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  if (p === null) return Number.NaN;
  const sorted = values.sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((Number(p[1]) / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The value of the query that returns data: a metric's statistic or the math expression over the others. */
function resultOf(spec: AlarmSpec, values: ReadonlyMap<string, number>): number {
  const returned = spec.queries.find((q) => q.returnData) ?? spec.queries[0];
  if (returned === undefined) return Number.NaN;
  if (returned.expression === undefined) return values.get(returned.id) ?? Number.NaN;
  let compiled = COMPILED.get(returned.expression);
  if (compiled === undefined) {
    compiled = compileExpression(returned.expression);
    COMPILED.set(returned.expression, compiled);
  }
  return compiled(values);
}

const COMPILED = new Map<string, ReturnType<typeof compileExpression>>();

function compare(operator: string, value: number, threshold: number): boolean | undefined {
  if (operator === 'GreaterThanThreshold') return value > threshold;
  if (operator === 'GreaterThanOrEqualToThreshold') return value >= threshold;
  if (operator === 'LessThanThreshold') return value < threshold;
  if (operator === 'LessThanOrEqualToThreshold') return value <= threshold;
  return undefined;
}

/** Too few requests: TreatMissingData decides, as it does for missing datapoints. */
function missingData(spec: AlarmSpec, requests: number): Evaluation {
  const reason = `Insufficient data: ${requests} requests in the window, fewer than local mode judges on.`;
  if (spec.treatMissingData === 'breaching') return { state: 'ALARM', reason };
  if (spec.treatMissingData === 'notBreaching') return { state: 'OK', reason };
  if (spec.treatMissingData === 'ignore') return { state: 'KEEP', reason };
  return { state: 'INSUFFICIENT_DATA', reason };
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** Epoch ms with a sub-millisecond fraction: state changes and rollbacks are timed on it. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
