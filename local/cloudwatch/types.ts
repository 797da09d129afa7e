/** A metric as an alarm names it. */
export interface MetricSpec {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Sum`, `Average`, `Maximum`, `Minimum`, `SampleCount` or a percentile such as `p99`. */
  readonly stat: string;
}

/** One entry of an alarm's `Metrics`: a metric with a statistic, or a math expression over the others. */
export interface MetricQuery {
  readonly id: string;
  readonly returnData: boolean;
  readonly metric?: MetricSpec;
  readonly expression?: string;
}

/**
 * A CloudWatch alarm of the template, as local mode evaluates it: over the requests the local
 * service proxies saw, in a window of `periodSeconds × evaluationPeriods` (compressed by the
 * runtime's time scale). A single-metric alarm is one query with id `m1`.
 */
export interface AlarmSpec {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly comparison: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly periodSeconds: number;
  readonly treatMissingData: string;
  readonly queries: readonly MetricQuery[];
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
