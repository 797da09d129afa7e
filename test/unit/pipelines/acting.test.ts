import { gatesShortfall } from '../../../shared/pipelines/acting';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { type PipelineFakes, runsTableFixture } from '../../support/pipeline-fakes';
import { planRequest, sourceEvent } from '../../support/plans';

describe('gatesShortfall of a rollback, which builds nothing and restores another run', () => {
  const table = runsTableFixture('acting');
  let f: PipelineFakes;
  beforeEach(async () => {
    ({ fakes: f } = await table.fresh());
  });

  const passed = { passed: true, reasons: [], metrics: {} };
  const planOf = (branch: string) => resolvePlan(planRequest(sourceEvent({ branch, ref: `refs/heads/${branch}` })));

  /** A prod rollback (as a creator could record one) that restores `toRunId`. */
  async function rollbackTo(toRunId: string) {
    const prod = planOf('release/1.0');
    const rollback = {
      ...prod,
      rollback: { ofRunId: null, toRunId, version: '3', reason: 'undo', requestedBy: 'olga' },
    };
    await f.runs.create(rollback, 'RUNNING', f.now);
    const run = await f.runs.get(rollback.runId);
    if (run === undefined) throw new Error('not recorded');
    return run;
  }

  it('takes the gates of a run of its own lane', async () => {
    const earlier = planOf('release/1.0');
    await f.runs.create(earlier, 'SUCCEEDED', f.now);
    await f.runs.update(earlier.runId, { gates: passed }, f.now);
    expect(await gatesShortfall(f.deps, await rollbackTo(earlier.runId))).toBeNull();
  });

  it('refuses a run of another lane, whatever its gates say: they vouch for nothing here', async () => {
    const dev = planOf('develop');
    await f.runs.create(dev, 'SUCCEEDED', f.now);
    await f.runs.update(dev.runId, { gates: passed }, f.now);
    const run = await rollbackTo(dev.runId);
    expect(dev.lane).not.toBe(run.lane);
    expect(await gatesShortfall(f.deps, run)).toMatch(
      /restores run .*, which is of widgets lane .*, not of its own lane/,
    );
  });
});
