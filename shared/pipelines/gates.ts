import { createHash } from 'node:crypto';
import type { BuildResult, GateEvaluation, RunPlan, RunProvenance } from '../../events';
import { runFact } from '../audit/audit';
import { type ArtifactStore, parseS3Location } from '../aws/s3-location';
import { classifyReport, mayBeReport, REPORT_SNIFF_BYTES, unreadableReason } from '../gates/classify';
import { parseCoverage } from '../gates/coverage-formats';
import { ReportParseError } from '../gates/errors';
import { evaluateGates } from '../gates/evaluate';
import { MAX_REPORT_BYTES } from '../gates/input';
import { parseJUnit } from '../gates/junit';
import type { CoverageReport, GateReports, SarifReport, TestReport } from '../gates/reports';
import { parseSarif } from '../gates/sarif/parse';
import { subjectOf } from '../runs/subjects';
import { buildArtifactsPath, provenanceKey } from './artifact-layout';
import { ForgedInputError, recordForgedInput, runOfExecution } from './ownership';
import type { PipelineDeps } from './ports';

/** EvaluateGates' ports: the pipeline steps', and the build's artifacts, which only it reads. */
export type GateDeps = PipelineDeps & { readonly artifacts: ArtifactStore };

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
  const run = await attestedBuildRun(deps, input, build, executionArn);
  const plan = run.plan;
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
  const reports = await readReports(deps, run, executionArn);
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
): Promise<AttestedRun> {
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
  if (why === null && run.provenance !== undefined && build.artifacts !== undefined)
    return { plan: run.plan, provenance: run.provenance, prefix };
  const reason = why ?? `build ${build.id} has no artifacts on record`;
  await recordForgedInput(deps, input, run, executionArn, 'evaluate-gates', reason);
  throw new ForgedInputError(`gates refused: ${reason}`);
}

/** How many artifacts' first bytes EvaluateGates asks S3 for at once. */
const HEAD_READS = 16;

/** A run whose build's verdict may be recorded, with what RecordProvenance attested of that build. */
interface AttestedRun {
  readonly plan: RunPlan;
  readonly provenance: RunProvenance;
  /** Where the build's artifacts are, under the attested bucket. */
  readonly prefix: string;
}

/**
 * The reports among the artifacts RecordProvenance attested, each read at its attested version
 * (never the key's current one, which a later write could have replaced), every one of them
 * (however many artifacts the build left). A file that could be a report is read whole and must
 * hash to its attested digest; one the gates cannot read as the report it claims to be becomes a
 * reason the gates fail, never a file passed over.
 */
async function readReports(deps: GateDeps, run: AttestedRun, executionArn: string): Promise<GateReports> {
  const reports = {
    junit: [] as TestReport[],
    coverage: [] as CoverageReport[],
    sarif: [] as SarifReport[],
    unreadable: [] as string[],
  };
  const { bucket } = run.provenance;
  // The same report can sit in the artifacts and in a report group's copy: count it once.
  const seen = new Set<string>();
  const subjects = run.provenance.subjects.filter((s) => {
    if (seen.has(s.sha256)) return false;
    seen.add(s.sha256);
    return true;
  });
  const keyOf = (subject: (typeof subjects)[number]) => `${run.prefix}${subject.name}`;
  // The heads (64 KiB at most) are read HEAD_READS at once: a build may leave thousands of files,
  // few of them reports. What may be a report is then read, one at a time, up to 32 MiB and a byte.
  for (let i = 0; i < subjects.length; i += HEAD_READS) {
    const batch = subjects.slice(i, i + HEAD_READS);
    const heads = await Promise.all(
      batch.map((subject) =>
        deps.artifacts.read(bucket, keyOf(subject), { versionId: subject.versionId, maxBytes: REPORT_SNIFF_BYTES }),
      ),
    );
    for (const [j, subject] of batch.entries()) {
      const head = heads[j] ?? Buffer.alloc(0);
      if (!mayBeReport(subject.name, head)) continue;
      const key = keyOf(subject);
      // Never more than the limit and a byte: a build's output is the change author's, and a
      // multi-GB file that looks like a report would otherwise be read whole into memory.
      const content =
        head.length < REPORT_SNIFF_BYTES
          ? head
          : await deps.artifacts.read(bucket, key, { versionId: subject.versionId, maxBytes: MAX_REPORT_BYTES + 1 });
      const file = subject.name.split('/').slice(-2).join('/');
      if (content.length > MAX_REPORT_BYTES) {
        const kind = classifyReport(subject.name, content);
        if (kind === undefined) continue;
        if (kind === 'unreadable') {
          reports.unreadable.push(unreadableReason(subject.name));
          continue;
        }
        throw new ReportParseError(file, kind, `report is larger than the ${MAX_REPORT_BYTES / 1024 / 1024} MiB limit`);
      }
      if (createHash('sha256').update(content).digest('hex') !== subject.sha256) {
        // Someone changed an attested report in place (a pinned version cannot change in S3): on the record.
        const reason = `${key} version ${subject.versionId} is not the file RecordProvenance attested (SHA-256 ${subject.sha256.slice(0, 12)}…)`;
        await recordForgedInput(deps, run.plan, run, executionArn, 'evaluate-gates', reason);
        throw new ForgedInputError(`gates refused: ${reason}`);
      }
      const kind = classifyReport(subject.name, content);
      if (kind === 'junit') reports.junit.push(parseJUnit(content, file));
      if (kind === 'coverage') reports.coverage.push(parseCoverage(content, file));
      if (kind === 'sarif') reports.sarif.push(parseSarif(content, file));
      if (kind === 'unreadable') reports.unreadable.push(unreadableReason(subject.name));
    }
  }
  return reports;
}

function isoOf(time: number | string | undefined): string | undefined {
  if (time === undefined) return undefined;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
