import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gates, RunPlan } from '../../../events';
import { provenanceKey } from '../../../shared/pipelines/artifact-layout';
import { evaluateRunGates } from '../../../shared/pipelines/gates';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { createRunsTable, dynaliteTables } from '../../support/aws';
import { type PipelineFakes, pipelineFakes } from '../../support/pipeline-fakes';
import { planRequest, sourceEvent } from '../../support/plans';

const REPORTS = join(import.meta.dirname, '..', '..', 'fixtures', 'reports');
const report = (...path: string[]) => readFileSync(join(REPORTS, ...path));

const BUILD = 'gantry-widgets:b1';
const BUCKET = 'bucket';
const PREFIX = 'releases/widgets/b1/artifacts/';
const ARTIFACTS = `arn:aws:s3:::${BUCKET}/${PREFIX.slice(0, -1)}`;
const SUCCEEDED = { id: BUILD, status: 'SUCCEEDED', artifacts: ARTIFACTS } as const;

const PASSING_JUNIT = '<?xml version="1.0"?>\n<testsuite name="unit"><testcase name="ok"/></testsuite>\n';
const FAILING_JUNIT =
  '<testsuite name="integration"><testcase name="auth bypass regression"><failure message="boom"/></testcase></testsuite>\n';
const CLEAN_SARIF = JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'eslint' } }, results: [] }] });

/** A SARIF log with its keys sorted, as `jq -S`, Python's sort_keys and Go maps write it: "runs" before "version". */
function sortedKeysSarif(findings: number): string {
  const results = Array.from({ length: findings }, (_, i) => ({
    level: 'error',
    message: { text: `SQL injection in handler ${i}` },
    properties: { 'security-severity': '9.8' },
    ruleId: 'sqli',
  }));
  return JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [{ results, tool: { driver: { name: 'semgrep' } } }],
    version: '2.1.0',
  });
}

describe('evaluateRunGates', () => {
  const tables = dynaliteTables(createRunsTable, 'runs');
  let f: PipelineFakes;
  beforeEach(() => {
    f = pipelineFakes(tables.client, tables.name);
  });

  /**
   * A running dev run whose build BUILD left `files` under its artifacts prefix, attested by
   * RecordProvenance as it does: each file's SHA-256 and the version it read.
   */
  async function attestedRun(files: Record<string, Buffer | string> = {}, gates?: Gates): Promise<RunPlan> {
    const resolved = resolvePlan(planRequest(sourceEvent()));
    const plan = gates === undefined ? resolved : { ...resolved, gates };
    await f.runs.create(plan, 'RUNNING', f.now);
    const subjects = Object.entries(files).map(([name, content]) => {
      const bytes = Buffer.from(content);
      const versionId = f.artifacts.put(BUCKET, `${PREFIX}${name}`, bytes);
      return { name, sha256: createHash('sha256').update(bytes).digest('hex'), versionId };
    });
    const provenance = {
      bucket: BUCKET,
      key: provenanceKey('widgets', BUILD),
      versionId: 'v1',
      envelopeSha256: 'e'.repeat(64),
      builderId: 'arn:aws:codebuild:us-east-1:123456789012:project/gantry-widgets',
      keyId: 'key',
      subjects,
      recordedAt: f.now.toISOString(),
    };
    await f.runs.update(plan.runId, { provenance }, f.now);
    return plan;
  }

  const evaluate = (plan: RunPlan) => evaluateRunGates(f.deps, plan, SUCCEEDED, plan.executionArn);

  it('reads the reports among the artifacts by their content, counting identical copies once', async () => {
    const plan = await attestedRun({
      'reports/junit.xml': report('junit', 'jest-junit.xml'),
      'reports/tests/junit.xml': report('junit', 'jest-junit.xml'),
      'reports/coverage.xml': report('code-coverage', 'jest-cobertura.xml'),
      'notes.txt': 'not a report',
    });
    const evaluation = await evaluate(plan);
    expect(evaluation.passed).toBe(false);
    expect(evaluation.metrics.tests).toMatchObject({ total: 12, failed: 4 });
    expect((await f.runs.get(plan.runId))?.gates?.reasons).toEqual(evaluation.reasons);
    expect(f.audit.records.map((r) => r.type)).toEqual(['build.finished', 'gate.evaluated']);
  });

  it('records no verdict a direct invoke asks for: another build, reports read from elsewhere, another run’s execution', async () => {
    const plan = await attestedRun({ 'reports/junit.xml': report('junit', 'node-test.xml') });
    const refused = async (build: { id: string; artifacts: string }, executionArn: string, reason: RegExp) => {
      await expect(
        evaluateRunGates(f.deps, plan, { ...build, status: 'SUCCEEDED' }, executionArn),
      ).rejects.toMatchObject({ name: 'Gantry.ForgedInput', message: expect.stringMatching(reason) });
      expect(f.audit.records.at(-1)).toMatchObject({
        type: 'security.forged_input',
        details: expect.objectContaining({ step: 'evaluate-gates', reason: expect.stringMatching(reason) }),
      });
    };
    // An earlier passing build of the pipeline, or this build's id with reports the forger wrote elsewhere.
    await refused(
      { id: 'gantry-widgets:b0', artifacts: ARTIFACTS },
      plan.executionArn,
      /not the build Gantry attested/,
    );
    await refused(
      { id: BUILD, artifacts: 'arn:aws:s3:::bucket/untrusted/widgets/b1/artifacts' },
      plan.executionArn,
      /not its own artifacts under bucket\/releases\/widgets\//,
    );
    await refused(
      { id: BUILD, artifacts: 'arn:aws:s3:::bucket/releases/widgets/b0/artifacts' },
      plan.executionArn,
      /not its own artifacts/,
    );
    await refused(
      { id: BUILD, artifacts: 'arn:aws:s3:::evil/releases/widgets/b1/artifacts' },
      plan.executionArn,
      /not its own artifacts/,
    );
    await refused({ id: BUILD, artifacts: ARTIFACTS }, `${plan.executionArn}-forged`, /belongs to execution/);
    await f.runs.setStatus(plan.runId, 'FAILED', f.now);
    await refused({ id: BUILD, artifacts: ARTIFACTS }, plan.executionArn, /is FAILED, not RUNNING/);
    expect((await f.runs.get(plan.runId))?.gates).toBeUndefined();
  });

  it('writes its ledger records once when the step is retried', async () => {
    const plan = await attestedRun();
    await evaluate(plan);
    await evaluate(plan);
    expect(f.audit.records.map((r) => r.type)).toEqual(['build.finished', 'gate.evaluated']);
    expect(f.audit.records.map((r) => r.once)).toEqual([
      `run/${plan.runId}/build.finished`,
      `run/${plan.runId}/gate.evaluated`,
    ]);
  });

  describe('never passes over a report (a skipped one would have its failures ignored)', () => {
    const SECURITY: Gates = { maxFindings: { error: 0 }, maxSecurity: { critical: 0, high: 0 } };

    it('a SARIF log whose keys are sorted ("version" after "runs")', async () => {
      const plan = await attestedRun(
        { 'reports/eslint.sarif': CLEAN_SARIF, 'reports/semgrep.sarif': sortedKeysSarif(40) },
        SECURITY,
      );
      const evaluation = await evaluate(plan);
      expect(evaluation.passed).toBe(false);
      expect(evaluation.metrics.findings).toMatchObject({ error: 40, critical: 40 });
    });

    it('a UTF-16 JUnit report with a byte order mark', async () => {
      const utf16 = Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>\n${FAILING_JUNIT}`, 'utf16le'),
      ]);
      const plan = await attestedRun(
        { 'reports/unit.xml': PASSING_JUNIT, 'reports/integration.xml': utf16 },
        { requireTestsPassed: true },
      );
      const evaluation = await evaluate(plan);
      expect(evaluation.metrics.tests).toMatchObject({ total: 2, failed: 1 });
      expect(evaluation.passed).toBe(false);
    });

    it('a JUnit report behind a prologue longer than the first read (a licence comment)', async () => {
      const prologue = `<?xml version="1.0"?>\n<!-- ${'licence text '.repeat(8000)} -->\n`;
      const plan = await attestedRun(
        { 'reports/unit.xml': PASSING_JUNIT, 'reports/integration.xml': prologue + FAILING_JUNIT },
        { requireTestsPassed: true },
      );
      const evaluation = await evaluate(plan);
      expect(evaluation.metrics.tests).toMatchObject({ total: 2, failed: 1 });
    });

    it('a report-looking file over the 32 MiB limit: read no further than the limit, and refused, not skipped', async () => {
      const huge = Buffer.alloc(40 * 1024 * 1024, ' ');
      huge.write('<?xml version="1.0"?>\n<testsuites>', 0);
      const plan = await attestedRun({ 'dist/bundle.xml': huge });
      await expect(evaluate(plan)).rejects.toMatchObject({
        name: 'ReportParseError',
        message: expect.stringContaining('larger than the 32 MiB limit'),
      });
      const whole = f.artifacts.reads.filter((r) => r.key.endsWith('dist/bundle.xml') && r.maxBytes !== 64 * 1024);
      expect(whole.map((r) => r.maxBytes)).toEqual([32 * 1024 * 1024 + 1]);
    });

    it('a file over the limit whose head cannot say what it is (a long prologue) fails the gates, as a smaller one does', async () => {
      const huge = Buffer.alloc(40 * 1024 * 1024, ' ');
      huge.write(`<?xml version="1.0"?>\n<!-- ${'licence text '.repeat(8000)} -->\n<testsuites>`, 0);
      const plan = await attestedRun(
        { 'reports/unit.xml': PASSING_JUNIT, 'reports/big.xml': huge },
        { requireTestsPassed: true },
      );
      const evaluation = await evaluate(plan);
      expect(evaluation.passed).toBe(false);
      expect(evaluation.reasons.join(' ')).toContain('reports/big.xml');
    });

    it('a report among more than a thousand artifacts, listed after them', async () => {
      const dist = Object.fromEntries(
        Array.from({ length: 1200 }, (_, i) => [
          `dist/chunk-${String(i).padStart(4, '0')}.js`,
          `export const n = ${i};`,
        ]),
      );
      const plan = await attestedRun(
        { ...dist, 'test-results/integration.xml': FAILING_JUNIT },
        { requireTestsPassed: true },
      );
      const evaluation = await evaluate(plan);
      expect(evaluation.metrics.tests).toMatchObject({ total: 1, failed: 1 });
      // Only the start of a file that cannot be a report is read.
      expect(f.artifacts.reads.filter((r) => r.maxBytes === undefined)).toEqual([]);
    });

    it('a file named as a SARIF log that is not one fails the gates with its name', async () => {
      const plan = await attestedRun(
        { 'reports/eslint.sarif': CLEAN_SARIF, 'reports/semgrep.sarif': '{"runs": [' },
        SECURITY,
      );
      const evaluation = await evaluate(plan);
      expect(evaluation.passed).toBe(false);
      expect(evaluation.reasons).toContain('reports/semgrep.sarif is named as a SARIF log but is not one');
    });
  });

  it('reads each report at the version RecordProvenance attested, not one written after it', async () => {
    const plan = await attestedRun({ 'reports/integration.xml': FAILING_JUNIT }, { requireTestsPassed: true });
    // The same key overwritten with a passing report after the build was attested.
    f.artifacts.put(BUCKET, `${PREFIX}reports/integration.xml`, Buffer.from(PASSING_JUNIT));
    const evaluation = await evaluate(plan);
    expect(evaluation.metrics.tests).toMatchObject({ total: 1, failed: 1 });
    expect(f.artifacts.reads.map((r) => r.versionId)).toEqual(['v1']);
  });

  it('refuses a report whose attested version does not hash to its attested digest', async () => {
    const plan = await attestedRun({ 'reports/integration.xml': FAILING_JUNIT }, { requireTestsPassed: true });
    const run = await f.runs.get(plan.runId);
    const provenance = run?.provenance;
    if (provenance === undefined) throw new Error('no provenance');
    const subjects = provenance.subjects.map((s) => ({ ...s, sha256: 'f'.repeat(64) }));
    await f.runs.update(plan.runId, { provenance: { ...provenance, subjects } }, f.now);
    await expect(evaluate(plan)).rejects.toMatchObject({
      name: 'Gantry.ForgedInput',
      message: expect.stringContaining('is not the file RecordProvenance attested'),
    });
    expect((await f.runs.get(plan.runId))?.gates).toBeUndefined();
    // A changed report is tampering, and the ledger says so, not only the failed run.
    expect(f.audit.records.at(-1)).toMatchObject({
      type: 'security.forged_input',
      outcome: 'rejected',
      subject: { runId: plan.runId },
      details: {
        step: 'evaluate-gates',
        reason: expect.stringContaining('reports/integration.xml version'),
      },
    });
  });
});
