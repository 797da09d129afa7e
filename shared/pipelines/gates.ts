import { createHash } from 'node:crypto';
import type { BuildResult, GateEvaluation, RunPlan } from '../../events';
import { runFact } from '../audit/audit';
import { type ArtifactStore, parseS3Location } from '../aws/s3-location';
import { parseCoverage } from '../gates/coverage-formats';
import { evaluateGates } from '../gates/evaluate';
import { parseJUnit } from '../gates/junit';
import type { CoverageReport, GateReports, SarifReport, TestReport } from '../gates/reports';
import { parseSarif } from '../gates/sarif/parse';
import { subjectOf } from '../runs/subjects';
import { buildArtifactsPath, provenanceKey } from './artifact-layout';
import { ForgedInputError, recordForgedInput, runOfExecution } from './ownership';
import type { PipelineDeps } from './ports';

/** EvaluateGates' ports: the pipeline steps', and the build's artifacts, which only it reads. */
export type GateDeps = PipelineDeps & { readonly artifacts: ArtifactStore };

/** Which kind of report a file is, told by its content (names vary from tool to tool). */
export function classifyReport(key: string, content: Buffer): 'junit' | 'coverage' | 'sarif' | undefined {
  const head = content.subarray(0, 4096).toString('utf8').trimStart();
  if (
    head.startsWith('{') &&
    /"version"\s*:\s*"2\.1\.0"/.test(head) &&
    /"runs"/.test(content.toString('utf8', 0, Math.min(content.length, 65_536)))
  )
    return 'sarif';
  if (/^(TN:|SF:)/m.test(head) && /end_of_record/.test(content.toString('utf8'))) return 'coverage';
  if (!head.startsWith('<')) return undefined;
  if (/<testsuites?[\s>]/.test(head)) return 'junit';
  if (/<coverage[\s>]|<report[\s>]|<!DOCTYPE report/.test(head)) return 'coverage';
  return key.endsWith('.sarif') ? 'sarif' : undefined;
}

/**
 * EvaluateGates: reads the build's reports from its artifacts (JUnit, Cobertura/LCOV/JaCoCo/
 * Clover, SARIF, whatever their names), evaluates the pipeline's gates, and records the verdict.
 * Deploy and ReportSuccess believe that verdict, so it is recorded only for this execution's
 * running run, of the build RecordProvenance attested for it, from that build's own artifacts.
 */
export async function evaluateRunGates(
  deps: GateDeps,
  input: RunPlan,
  build: BuildResult,
  executionArn: string,
): Promise<GateEvaluation> {
  const plan = await attestedBuildRun(deps, input, build, executionArn);
  const now = deps.clock();
  const { startTime, endTime, ...kept } = build;
  await deps.runs.update(plan.runId, { build: kept }, now);
  await deps.runs.setStage(
    plan.runId,
    'build',
    {
      status: 'succeeded',
      startedAt: isoOf(startTime) ?? now.toISOString(),
      endedAt: isoOf(endTime) ?? now.toISOString(),
      summary: `build ${build.id} ${build.status}`,
    },
    now,
  );
  await deps.audit.record({
    type: 'build.finished',
    actor: { type: 'system', id: 'codebuild', providerIdentity: null },
    subject: subjectOf(plan),
    outcome: 'success',
    details: {
      buildId: build.id,
      status: build.status,
      startedAt: isoOf(startTime) ?? null,
      endedAt: isoOf(endTime) ?? null,
      artifacts: build.artifacts ?? null,
    },
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, 'build.finished'),
  });
  const reports = build.artifacts ? await readReports(deps, build.artifacts) : { junit: [], coverage: [], sarif: [] };
  const evaluation = evaluateGates(reports, plan.gates);
  await deps.runs.update(
    plan.runId,
    { gates: { passed: evaluation.passed, reasons: [...evaluation.reasons], metrics: { ...evaluation.metrics } } },
    deps.clock(),
  );
  await deps.runs.setStage(
    plan.runId,
    'gates',
    {
      status: evaluation.passed ? 'succeeded' : 'failed',
      startedAt: now.toISOString(),
      endedAt: deps.clock().toISOString(),
      summary: evaluation.passed ? 'all gates passed' : evaluation.reasons.join('; '),
    },
    deps.clock(),
  );
  await deps.audit.record({
    type: 'gate.evaluated',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome: evaluation.passed ? 'success' : 'failure',
    details: { passed: evaluation.passed, reasons: evaluation.reasons, metrics: evaluation.metrics, build: build.id },
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, 'gate.evaluated'),
  });
  deps.logger.info('gates evaluated', { runId: plan.runId, passed: evaluation.passed, reasons: evaluation.reasons });
  return evaluation;
}

/**
 * The run whose gates this build's verdict may be recorded on. A direct invoke names the run, the
 * execution and the build as it likes: another build's passing reports, or a location it wrote.
 */
async function attestedBuildRun(
  deps: PipelineDeps,
  input: RunPlan,
  build: BuildResult,
  executionArn: string,
): Promise<RunPlan> {
  const owned = await runOfExecution(deps, input, executionArn, 'evaluate-gates');
  if ('refused' in owned) throw new ForgedInputError(`gates refused: ${owned.refused}`);
  const { run } = owned;
  const { bucket, prefix } = parseS3Location(build.artifacts ?? '');
  const own = `${buildArtifactsPath(run.pipeline, run.plan.build.trust)}/`;
  const uuid = build.id.slice(build.id.lastIndexOf(':') + 1);
  const why =
    run.status !== 'RUNNING'
      ? `run ${run.runId} is ${run.status}, not RUNNING`
      : run.provenance?.key !== provenanceKey(run.pipeline, build.id)
        ? `build ${build.id} is not the build Gantry attested for run ${run.runId}`
        : build.artifacts === undefined ||
            bucket !== run.provenance.bucket ||
            !prefix.startsWith(own) ||
            !prefix.includes(`/${uuid}/`)
          ? `build ${build.id}'s reports are read from ${build.artifacts ?? '(nowhere)'}, not its own artifacts under ${run.provenance.bucket}/${own}`
          : null;
  if (why === null) return run.plan;
  await recordForgedInput(deps, input, run, executionArn, 'evaluate-gates', why);
  throw new ForgedInputError(`gates refused: ${why}`);
}

async function readReports(deps: GateDeps, location: string): Promise<GateReports> {
  const reports = { junit: [] as TestReport[], coverage: [] as CoverageReport[], sarif: [] as SarifReport[] };
  const seen = new Set<string>();
  for (const key of await deps.artifacts.list(location)) {
    const content = await deps.artifacts.read(location, key);
    // The same report can sit in the artifacts and in a report group's copy: count it once.
    const digest = createHash('sha256').update(content).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    const kind = classifyReport(key, content);
    const file = key.split('/').slice(-2).join('/');
    if (kind === 'junit') reports.junit.push(parseJUnit(content, file));
    if (kind === 'coverage') reports.coverage.push(parseCoverage(content, file));
    if (kind === 'sarif') reports.sarif.push(parseSarif(content, file));
  }
  return reports;
}

function isoOf(time: number | string | undefined): string | undefined {
  if (time === undefined) return undefined;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
