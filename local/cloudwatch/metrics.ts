/** One request a local service proxy answered: what the alias's Lambda metrics are made of. */
export interface RequestSample {
  /** Epoch ms when the answer was complete. */
  readonly at: number;
  readonly functionName: string;
  readonly alias: string;
  readonly version: string;
  readonly status: number;
  readonly ms: number;
}

export type SampleListener = (sample: RequestSample) => void;

/** Samples older than this are dropped. */
const RETENTION_MS = 10 * 60_000;
/** And never more than this many per function. */
const MAX_SAMPLES = 200_000;

/**
 * The requests each service function answered, newest last: local mode's stand-in for the
 * `AWS/Lambda` metrics (Invocations, Errors, Duration) that alarms watch.
 */
export class RequestMetrics {
  private readonly byFunction = new Map<string, RequestSample[]>();
  private readonly listeners = new Set<SampleListener>();

  record(sample: RequestSample): void {
    let samples = this.byFunction.get(sample.functionName);
    if (samples === undefined) {
      samples = [];
      this.byFunction.set(sample.functionName, samples);
    }
    samples.push(sample);
    const first = samples[0];
    if (samples.length > MAX_SAMPLES || (first !== undefined && first.at < sample.at - RETENTION_MS)) {
      samples.splice(0, Math.max(samples.length - MAX_SAMPLES, firstAfter(samples, sample.at - RETENTION_MS)));
    }
    for (const listener of this.listeners) listener(sample);
  }

  /** A function's samples answered at or after `since` (epoch ms), oldest first. */
  since(functionName: string, since: number): readonly RequestSample[] {
    const samples = this.byFunction.get(functionName) ?? [];
    return samples.slice(firstAfter(samples, since));
  }

  /** Calls `listener` on every sample; returns the function that stops it. */
  subscribe(listener: SampleListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

/** The index of the first sample at or after `since` (samples are in time order). */
function firstAfter(samples: readonly RequestSample[], since: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid]?.at ?? 0) < since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
