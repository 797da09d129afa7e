/** Latency samples in milliseconds, and what benchmarks report from them. */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export interface RunStats {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Stats of one timed run: `count` operations over `elapsedMs`, with per-operation latencies. */
export function runStats(count: number, elapsedMs: number, latenciesMs: number[]): RunStats {
  const sorted = latenciesMs.sort((a, b) => a - b);
  return { perSecond: (count / elapsedMs) * 1000, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/** The median of each figure over repeated runs. */
export function medianStats(runs: readonly RunStats[]): RunStats {
  return {
    perSecond: median(runs.map((r) => r.perSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
  };
}

/** A Markdown table: what the README's performance section quotes. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Times `op` sequentially `count` times; returns throughput and latency. */
export async function timeSequential(count: number, op: (i: number) => Promise<unknown>): Promise<RunStats> {
  const latencies: number[] = new Array(count);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return runStats(count, Number(process.hrtime.bigint() - start) / 1e6, latencies);
}
