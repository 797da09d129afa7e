import { STAGES } from '../../events';
import type { RunRecord } from '../../shared/runs/model';
import { printable } from '../../shared/text/printable';
import { status } from '../format';
import { runStore } from '../runs';
import type { Target } from '../target';

/**
 * Prints a run's stages as they happen, until it ends or waits for a person (approval); the
 * run's record is read the way `gantry runs show` reads it.
 */
export async function followRun(
  target: Target,
  commit: string,
  options: { pipeline: string; timeoutMs?: number; stopWhenWaiting?: boolean; print: (line: string) => void },
): Promise<RunRecord | undefined> {
  const store = runStore(target);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const shown = new Map<string, string>();
  let run: RunRecord | undefined;
  while (Date.now() < deadline) {
    run = (await store.list({ pipeline: options.pipeline, limit: 20 })).find((r) => r.commit === commit);
    if (run) {
      for (const name of STAGES) {
        const stage = run.stages[name];
        if (stage === undefined || shown.get(name) === stage.status) continue;
        shown.set(name, stage.status);
        options.print(
          `     ${name.padEnd(9)} ${status(stage.status)}${' '.repeat(Math.max(0, 9 - stage.status.length))} ${printable(stage.summary ?? '')}`,
        );
      }
      if (!['QUEUED', 'RUNNING'].includes(run.status)) return run;
      if (options.stopWhenWaiting && run.stages.approval?.status === 'waiting') return run;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return run;
}
