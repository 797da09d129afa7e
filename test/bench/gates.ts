import { performance } from 'node:perf_hooks';
import type { ReportInput } from '../../shared/gates';
import { BILLION_LAUGHS, EXTERNAL_ENTITY, junkUnderLimit, oversized, PARSERS } from '../support/hostile-reports';
import { fmt, median, table } from './stats';

/**
 * `npm run bench -- gates`: how long each report parser takes to refuse a hostile report (the
 * inputs of test/unit/gates/hostile.test.ts, which proves each is refused): declared entities
 * and oversized files before any work, junk under the size limit without running away.
 */
export async function benchGates(options: { rounds: number }): Promise<string> {
  const cases: [what: string, kind: string, input: ReportInput, targetMs: number][] = [
    ['billion laughs', 'junit', BILLION_LAUGHS, 500],
    ['an external entity', 'coverage', EXTERNAL_ENTITY, 500],
    ...Object.keys(PARSERS).map((kind): [string, string, ReportInput, number] => ['50 MiB', kind, oversized(), 500]),
    ...junkUnderLimit().map(([what, kind, input]): [string, string, ReportInput, number] => [what, kind, input, 2_000]),
  ];
  const rows = cases.map(([what, kind, input, target]) => {
    const times: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const start = performance.now();
      try {
        PARSERS[kind]?.(input, 'hostile');
      } catch {
        // Refused, as the unit test proves; only the time counts here.
      }
      times.push(performance.now() - start);
    }
    const ms = median(times);
    return [what, kind, fmt(ms, 1), `< ${fmt(target)} ${ms < target ? '✓' : '✗'}`];
  });
  return [
    `Medians of ${options.rounds} rounds, in process.`,
    '',
    table(['hostile report', 'parser', 'median ms to refuse', 'target'], rows),
  ].join('\n');
}
