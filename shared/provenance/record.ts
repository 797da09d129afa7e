import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DSSE_PAYLOAD_TYPE,
  type ProvenanceSubject,
  type ProvenanceSummary,
  type RunPlan,
  type RunProvenance,
} from '../../events';
import { type AuditSink, runFact } from '../audit/audit';
import { parseS3Location } from '../aws/s3-location';
import { buildClassOf, buildClassPath, provenanceKey, sourcesPath } from '../pipelines/artifact-layout';
import { recordForgedInput, runOfExecution } from '../pipelines/ownership';
import type { RunStore } from '../runs/store';
import { gantryRecord } from '../runs/subjects';
import { envelopeOf, paeDigest, sha256Hex } from './dsse';
import { notRecorded } from './errors';
import type { BuildSource, ProvenanceSigner, StoredVersion, VersionedObjects } from './ports';
import { builderIdOf, provenanceStatement } from './statement';
import { uploadedArtifacts } from './upload';

export interface ProvenanceDeps {
  readonly runs: RunStore;
  readonly audit: AuditSink;
  readonly objects: VersionedObjects;
  readonly signer: ProvenanceSigner;
  readonly builds: BuildSource;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly clock: () => Date;
}

/**
 * RecordProvenance: when a build ends, Gantry (not the build) reads the build from CodeBuild,
 * hashes every artifact its upload wrote (refusing a prefix anyone else wrote to), writes the SLSA
 * provenance, signs it, stores the envelope where builds can't write, and pins it on the run record.
 */
export async function recordProvenance(
  deps: ProvenanceDeps,
  plan: RunPlan,
  buildId: string,
  executionArn: string,
): Promise<ProvenanceSummary> {
  const owned = await runOfExecution(deps, plan, executionArn, 'record-provenance');
  if ('refused' in owned) throw notRecorded('run', `provenance not recorded: ${owned.refused}`);
  const trusted = owned.run.plan;
  const build = await deps.builds.getBuild(buildId);
  checkBuild(trusted, build);
  // A retried step signs nothing new: the run names one envelope, and the ledger the same one.
  const earlier = owned.run.provenance;
  if (earlier !== undefined && earlier.key === provenanceKey(trusted.pipeline, build.id)) {
    await recordFact(deps, trusted, build.id, earlier);
    return { builderId: earlier.builderId, subjects: earlier.subjects.length, envelopeSha256: earlier.envelopeSha256 };
  }
  const { bucket, prefix } = parseS3Location(build.artifactsLocation ?? '');
  const uploaded = await uploadedArtifacts(deps.objects, build, bucket, prefix);
  if ('refused' in uploaded) {
    await recordForgedInput(deps, trusted, owned.run, executionArn, 'record-provenance', uploaded.refused);
    throw notRecorded('artifacts', `provenance not recorded: ${uploaded.refused}`);
  }
  const subjects = await hashArtifacts(deps.objects, bucket, prefix, uploaded.versions);
  const snapshot = await snapshotOf(deps.objects, trusted, build, bucket);
  const statement = provenanceStatement({
    plan: trusted,
    build,
    buildspecPath: build.buildspec ?? 'buildspec.yml',
    subjects,
    ...(snapshot === undefined ? {} : { snapshot }),
  });
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  const envelope = envelopeOf(
    payload,
    await deps.signer.sign(paeDigest(DSSE_PAYLOAD_TYPE, payload)),
    deps.signer.keyId,
  );
  const bytes = Buffer.from(`${JSON.stringify(envelope)}\n`, 'utf8');
  const key = provenanceKey(trusted.pipeline, build.id);
  const versionId = await deps.objects.put(bucket, key, bytes, 'application/vnd.dsse.envelope.v1+json');
  const recorded: RunProvenance = {
    bucket,
    key,
    versionId,
    envelopeSha256: sha256Hex(bytes),
    builderId: statement.predicate.runDetails.builder.id,
    keyId: deps.signer.keyId,
    subjects: subjects.map((s) => ({ name: s.name, sha256: s.digest.sha256, versionId: s.annotations.versionId })),
    recordedAt: deps.clock().toISOString(),
  };
  await deps.runs.update(trusted.runId, { provenance: recorded }, deps.clock());
  await recordFact(deps, trusted, build.id, recorded);
  deps.logger.info('provenance recorded', { runId: trusted.runId, buildId: build.id, subjects: subjects.length });
  return { builderId: recorded.builderId, subjects: subjects.length, envelopeSha256: recorded.envelopeSha256 };
}

/** The ledger's record of a run's provenance: once per run, however often the step runs. */
async function recordFact(
  deps: ProvenanceDeps,
  plan: RunPlan,
  buildId: string,
  recorded: RunProvenance,
): Promise<void> {
  await deps.audit.record({
    ...gantryRecord(plan, 'build.provenance', 'success', {
      buildId,
      builderId: recorded.builderId,
      trust: plan.build.trust,
      envelope: `s3://${recorded.bucket}/${recorded.key}?versionId=${recorded.versionId}`,
      envelopeSha256: recorded.envelopeSha256,
      keyId: recorded.keyId,
      subjects: recorded.subjects,
    }),
    once: runFact(plan.runId, 'build.provenance'),
  });
}

/** The build must be the one the run planned: its project, its commit, its own class's artifacts prefix. */
function checkBuild(plan: RunPlan, build: Awaited<ReturnType<BuildSource['getBuild']>>): void {
  if (build.projectName !== plan.build.projectName) {
    throw notRecorded(
      'build',
      `build ${build.id} ran in project ${build.projectName}, but run ${plan.runId} planned ${plan.build.projectName}`,
    );
  }
  // Only a build that succeeded left what it was asked to build (a direct invoke may name another).
  if (build.status !== 'SUCCEEDED')
    throw notRecorded('build', `build ${build.id} is ${build.status}, not SUCCEEDED: its artifacts are not attested`);
  // An S3 source is a snapshot (checked and hashed by snapshotOf); CodeBuild resolves no commit for
  // it. Any other source must say it built the run's commit: saying nothing is not saying so.
  if (build.source?.type !== 'S3' && build.resolvedSourceVersion !== plan.commit) {
    throw notRecorded(
      'build',
      build.resolvedSourceVersion === null
        ? `build ${build.id} ran from a ${build.source?.type ?? 'NO_SOURCE'} source that names no commit, and no snapshot of the run's commit ${plan.commit}`
        : `build ${build.id} built commit ${build.resolvedSourceVersion}, not the run's commit ${plan.commit}`,
    );
  }
  const { prefix } = parseS3Location(build.artifactsLocation ?? '');
  // Its class's own prefix: a build of another class (another project, another role) wrote elsewhere.
  const own = `${buildClassPath(plan.pipeline, buildClassOf(plan))}/`;
  if (build.artifactsLocation === null || !prefix.startsWith(own)) {
    throw notRecorded(
      'build',
      `build ${build.id} put its artifacts at ${build.artifactsLocation ?? '(nowhere)'}, outside ${own}`,
    );
  }
  // builderIdOf throws on a malformed ARN: a build CodeBuild did not describe is not attested.
  builderIdOf(build.arn);
}

/**
 * The source snapshot an S3-sourced build ran from, as Gantry reads it: in the artifacts bucket,
 * under the pipeline's snapshot prefix for the run's commit (where only FetchSource writes), at
 * the version CodeBuild reports, its bytes hashing to the digest its key names.
 */
async function snapshotOf(
  objects: VersionedObjects,
  plan: RunPlan,
  build: Awaited<ReturnType<BuildSource['getBuild']>>,
  artifactsBucket: string,
): Promise<{ uri: string; sha256: string } | undefined> {
  if (build.source?.type !== 'S3') return undefined;
  const { location, version } = build.source;
  const slash = location?.indexOf('/') ?? -1;
  const bucket = location?.slice(0, slash) ?? '';
  const key = location?.slice(slash + 1) ?? '';
  const prefix = `${sourcesPath(plan.pipeline)}/${plan.commit}/`;
  const digest = key.startsWith(prefix) ? /^([0-9a-f]{64})\.zip$/.exec(key.slice(prefix.length))?.[1] : undefined;
  if (bucket !== artifactsBucket || digest === undefined || !version) {
    throw notRecorded(
      'build',
      `build ${build.id} ran from ${location ?? '(no source)'}${version ? ` version ${version}` : ''}, not a pinned snapshot of commit ${plan.commit} under ${artifactsBucket}/${prefix}`,
    );
  }
  const { versionId, body } = await objects.get(bucket, key, version);
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== digest)
    throw notRecorded(
      'build',
      `the snapshot build ${build.id} ran from does not hash to the digest its key names (${key})`,
    );
  return { uri: `s3://${bucket}/${key}?versionId=${encodeURIComponent(versionId)}`, sha256: digest };
}

/**
 * Every artifact the build's upload wrote: SHA-256 of the very version listed (a later write is
 * not read here; Deploy refuses it as a replacement), and that version's id.
 */
async function hashArtifacts(
  objects: VersionedObjects,
  bucket: string,
  prefix: string,
  uploaded: readonly StoredVersion[],
): Promise<ProvenanceSubject[]> {
  const subjects: ProvenanceSubject[] = [];
  for (const { key, versionId: listed } of uploaded) {
    const { versionId, body } = await objects.get(bucket, key, listed);
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk as Buffer);
    subjects.push({
      name: key.slice(prefix.length),
      digest: { sha256: hash.digest('hex') },
      uri: `s3://${bucket}/${key}`,
      annotations: { versionId },
    });
  }
  return subjects;
}
