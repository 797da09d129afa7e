import { createHash } from 'node:crypto';
import {
  DSSE_PAYLOAD_TYPE,
  type ProvenanceStatement,
  ProvenanceStatementSchema,
  type ProvenanceSubject,
} from '../../events';
import type { RunRecord } from '../runs/model';
import { openEnvelope, sha256Hex } from './dsse';
import { refused } from './errors';
import type { ProvenanceSigner, VersionedObjects } from './ports';
import { projectOfBuilder } from './statement';

/** An artifact Deploy may release: the exact object version whose bytes matched the signed digest. */
export interface VerifiedArtifact {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
  readonly sha256: string;
  readonly bytes: Buffer;
}

export interface VerifyDeps {
  readonly objects: VersionedObjects;
  readonly signer: Pick<ProvenanceSigner, 'verify'>;
}

/**
 * Everything Deploy checks before traffic moves, against the run record the control plane
 * wrote (never the state's input): the envelope is the one pinned on the run, signed by the
 * provenance key; its builder is the pipeline's trusted project; it attests the run's commit;
 * and the artifact's bytes, read at the pinned version, have the signed digest.
 * @throws ProvenanceError (Gantry.DeployRefused) naming the check that failed and what differed.
 */
export async function verifyReleaseArtifact(
  deps: VerifyDeps,
  run: RunRecord,
  artifactPath: string,
): Promise<VerifiedArtifact> {
  const statement = await verifiedStatement(deps, run);
  const subject = statement.subject.find((s) => s.name === artifactPath.replace(/^\/+/, ''));
  if (subject === undefined) {
    throw refused(
      'subject',
      `the provenance of run ${run.runId} attests no artifact ${artifactPath} (it attests ${statement.subject.map((s) => s.name).join(', ') || 'nothing'})`,
    );
  }
  const artifact = await readAttested(deps.objects, subject);
  await refuseIfReplaced(deps.objects, artifact);
  return artifact;
}

/**
 * A release artifact is written once, by its build. A newer version at its key means someone
 * with write access to the bucket changed it after Gantry attested it: the pinned bytes would
 * still verify, but a tampered release is stopped and investigated, not quietly shipped.
 */
async function refuseIfReplaced(objects: VersionedObjects, artifact: VerifiedArtifact): Promise<void> {
  let current: string;
  try {
    const head = await objects.get(artifact.bucket, artifact.key);
    head.body.destroy();
    current = head.versionId;
  } catch (error) {
    throw refused(
      'replaced',
      `s3://${artifact.bucket}/${artifact.key} was deleted after its provenance was recorded (${error instanceof Error ? error.name : 'error'}): investigate before releasing`,
    );
  }
  if (current !== artifact.versionId) {
    throw refused(
      'replaced',
      `s3://${artifact.bucket}/${artifact.key} was replaced after its provenance was recorded (now version ${current}, attested version ${artifact.versionId}): someone with write access to the artifacts bucket changed it; investigate before releasing`,
    );
  }
}

/** The run's provenance statement, once its envelope, signature, builder and commit all check out. */
export async function verifiedStatement(deps: VerifyDeps, run: RunRecord): Promise<ProvenanceStatement> {
  const recorded = run.provenance;
  if (recorded === undefined) {
    throw refused('provenance', `run ${run.runId} has no recorded provenance: its build was not attested by Gantry`);
  }
  const bytes = await readAll(deps.objects, recorded.bucket, recorded.key, recorded.versionId);
  if (sha256Hex(bytes) !== recorded.envelopeSha256) {
    throw refused(
      'envelope',
      `the provenance envelope s3://${recorded.bucket}/${recorded.key} (version ${recorded.versionId}) is not the one recorded on run ${run.runId}`,
    );
  }
  const { envelope, payload, digest, signatures } = openEnvelope(bytes);
  if (envelope.payloadType !== DSSE_PAYLOAD_TYPE) {
    throw refused('envelope', `the provenance envelope's payload type is ${envelope.payloadType}`);
  }
  const valid = await Promise.all(signatures.map((sig) => deps.signer.verify(digest, sig)));
  if (!valid.includes(true)) {
    throw refused('signature', `the provenance of run ${run.runId} is not signed by Gantry's provenance key`);
  }
  const statement = ProvenanceStatementSchema.parse(JSON.parse(payload.toString('utf8')));
  checkStatement(run, statement);
  return statement;
}

function checkStatement(run: RunRecord, statement: ProvenanceStatement): void {
  const { runDetails, buildDefinition } = statement.predicate;
  const trustedProject = run.plan.build.trust === 'trusted' ? run.plan.build.projectName : null;
  const builder = projectOfBuilder(runDetails.builder.id);
  if (trustedProject === null || builder !== trustedProject || buildDefinition.internalParameters.trust !== 'trusted') {
    throw refused(
      'builder',
      `built by ${runDetails.builder.id}, not by pipeline ${run.pipeline}'s trusted project ${trustedProject ?? '(none: the run built untrusted)'}`,
    );
  }
  if (buildDefinition.externalParameters.commit !== run.commit) {
    throw refused(
      'commit',
      `the provenance attests commit ${buildDefinition.externalParameters.commit}, but run ${run.runId} was approved for ${run.commit}`,
    );
  }
}

/** Reads the subject at its pinned version and checks its digest. */
async function readAttested(objects: VersionedObjects, subject: ProvenanceSubject): Promise<VerifiedArtifact> {
  const { bucket, key } = parseS3Uri(subject.uri);
  const bytes = await readAll(objects, bucket, key, subject.annotations.versionId);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== subject.digest.sha256) {
    throw refused(
      'digest',
      `${subject.name} at version ${subject.annotations.versionId} has SHA-256 ${sha256}, but its provenance attests ${subject.digest.sha256}`,
    );
  }
  return { bucket, key, versionId: subject.annotations.versionId, sha256, bytes };
}

async function readAll(objects: VersionedObjects, bucket: string, key: string, versionId: string): Promise<Buffer> {
  let body: Awaited<ReturnType<VersionedObjects['get']>>;
  try {
    body = await objects.get(bucket, key, versionId);
  } catch (error) {
    throw refused(
      'digest',
      `s3://${bucket}/${key} version ${versionId} cannot be read (${error instanceof Error ? error.name : 'error'})`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const path = uri.replace(/^s3:\/\//, '');
  const slash = path.indexOf('/');
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/** Lambda's CodeSha256 (base64) of an artifact whose hex SHA-256 is known. */
export function codeSha256Of(sha256Hex: string): string {
  return Buffer.from(sha256Hex, 'hex').toString('base64');
}
