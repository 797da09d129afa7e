import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ProvenanceStatement } from '../events';
import type { ProvenanceCheck } from '../shared/audit/evidence';
import { sha256Hex } from '../shared/provenance/dsse';
import { PROVENANCE_KEY_ALIAS } from '../shared/provenance/env';
import { type OfflineVerification, verifyOffline } from '../shared/provenance/offline';
import type { RunRecord } from '../shared/runs/model';
import { CommandFailed, UsageError } from './errors';
import { table } from './format';
import type { Target } from './target';

/** The signed envelope a run's provenance pins, read at that exact version. */
export async function runEnvelope(target: Target, run: RunRecord): Promise<Buffer> {
  const recorded = requireProvenance(run);
  const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: target.kind === 'local' });
  const out = await s3.send(
    new GetObjectCommand({ Bucket: recorded.bucket, Key: recorded.key, VersionId: recorded.versionId }),
  );
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}

/** The provenance key's public half, from KMS (locally, the local KMS). */
export async function provenancePublicKey(target: Target, run: RunRecord): Promise<Buffer> {
  const out = await new KMSClient(target.clientConfig).send(
    new GetPublicKeyCommand({ KeyId: requireProvenance(run).keyId }),
  );
  if (!out.PublicKey) throw new CommandFailed(`KMS gave no public key for ${requireProvenance(run).keyId}`);
  return Buffer.from(out.PublicKey);
}

/** The provenance key's public half as PEM, found by its alias. */
export async function provenanceKeyPem(target: Target): Promise<string> {
  const out = await new KMSClient(target.clientConfig).send(new GetPublicKeyCommand({ KeyId: PROVENANCE_KEY_ALIAS }));
  if (!out.PublicKey) throw new CommandFailed(`KMS gave no public key for ${PROVENANCE_KEY_ALIAS}`);
  return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** Verifies a run's provenance: its envelope and signature, its builder and commit, an artifact if given. */
export async function verifyRun(
  target: Target,
  run: RunRecord,
  artifactPath?: string,
  allowUntrusted = false,
): Promise<OfflineVerification> {
  const [envelope, publicKey] = await Promise.all([runEnvelope(target, run), provenancePublicKey(target, run)]);
  const artifact = artifactPath === undefined ? undefined : await readArtifact(artifactPath);
  return verifyOffline({
    envelope,
    publicKey,
    ...(artifact ? { artifact } : {}),
    expect: { commit: run.commit, builderProject: run.plan.build.projectName },
    allowUntrusted,
  });
}

/** `--envelope`, `--public-key` and `--artifact` files; unreadable input is a usage error (exit 2). */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export async function readArtifact(path: string): Promise<{ name: string; bytes: Buffer }> {
  return { name: basename(path), bytes: await readInputFile(path, 'artifact') };
}

/** `✓ signature  ECDSA …` lines, then the verdict. */
export function verificationText(result: OfflineVerification): string {
  const lines = result.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name.padEnd(12)} ${c.detail}`);
  lines.push(result.valid ? 'Provenance verified.' : 'Provenance NOT verified.');
  return lines.join('\n');
}

/** The statement as a person reads it: what was built, from what, by whom, and each artifact's digest. */
export function statementText(run: RunRecord, statement: ProvenanceStatement): string {
  const { buildDefinition, runDetails } = statement.predicate;
  const p = buildDefinition.externalParameters;
  const recorded = requireProvenance(run);
  return [
    `Provenance of run ${run.runId} (SLSA ${statement.predicateType.split('/').pop()}, in-toto ${statement._type.split('/').pop()})`,
    `  repository  ${p.repository} @ ${p.commit}${p.ref ? ` (${p.ref})` : ''}`,
    `  buildspec   ${p.buildspec.path}`,
    `  builder     ${runDetails.builder.id}`,
    `  build       ${runDetails.metadata.invocationId}, ${runDetails.metadata.startedOn ?? '?'} → ${runDetails.metadata.finishedOn ?? '?'}`,
    `  envelope    s3://${recorded.bucket}/${recorded.key} (version ${recorded.versionId}), signed by ${recorded.keyId}`,
    '',
    table(
      ['ARTIFACT', 'SHA-256', 'S3 VERSION'],
      statement.subject.map((s) => [s.name, s.digest.sha256, s.annotations.versionId]),
    ),
  ].join('\n');
}

function requireProvenance(run: RunRecord) {
  if (run.provenance === undefined)
    throw new CommandFailed(`run ${run.runId} has no recorded provenance (its build was not attested)`);
  return run.provenance;
}

/** For evidence dossiers: fetch the recorded envelope at its version, check its digest, signature and commit. */
export function provenanceCheck(target: Target): ProvenanceCheck {
  return async (recorded, commit, allowUntrusted) => {
    const url = new URL(recorded.envelope);
    const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: target.kind === 'local' });
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: url.hostname,
        Key: decodeURIComponent(url.pathname.slice(1)),
        VersionId: url.searchParams.get('versionId') ?? undefined,
      }),
    );
    const envelope = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
    if (sha256Hex(envelope) !== recorded.envelopeSha256) {
      return { verified: false, message: 'the stored envelope is not the one the ledger recorded' };
    }
    const key = await new KMSClient(target.clientConfig).send(new GetPublicKeyCommand({ KeyId: recorded.keyId }));
    const result = verifyOffline({
      envelope,
      publicKey: Buffer.from(key.PublicKey ?? new Uint8Array()),
      ...(commit ? { expect: { commit } } : {}),
      allowUntrusted,
    });
    const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    return result.valid
      ? { verified: true, message: `verified: signed by ${recorded.keyId}, built by ${recorded.builderId}` }
      : { verified: false, message: `not verified: ${failed.join('; ')}` };
  };
}
