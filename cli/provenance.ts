import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ProvenanceStatement, RunProvenance } from '../events';
import type { ProvenanceCheck } from '../shared/audit/evidence';
import { sha256Hex } from '../shared/provenance/dsse';
import { PROVENANCE_KEY_ALIAS } from '../shared/provenance/env';
import { type Check, type OfflineVerification, verifyOffline } from '../shared/provenance/offline';
import { projectOfBuilder } from '../shared/provenance/statement';
import type { RunRecord } from '../shared/runs/model';
import { printable } from '../shared/text/printable';
import { CommandFailed, UsageError } from './errors';
import { table } from './format';
import type { Target } from './target';

/** The signed envelope a run's provenance pins, read at that exact version and checked against its pinned SHA-256. */
export async function runEnvelope(target: Target, run: RunRecord): Promise<Buffer> {
  const recorded = requireProvenance(run);
  const bytes = await storedEnvelope(target, recorded);
  const pinned = envelopeCheck(bytes, recorded);
  if (!pinned.ok) throw new CommandFailed(pinned.detail);
  return bytes;
}

async function storedEnvelope(target: Target, recorded: RunProvenance): Promise<Buffer> {
  const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: target.kind === 'local' });
  const out = await s3.send(
    new GetObjectCommand({ Bucket: recorded.bucket, Key: recorded.key, VersionId: recorded.versionId }),
  );
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}

/** The provenance key as the control plane's own KMS names it by its alias: its ARN and public half. */
export interface ProvenanceKey {
  readonly arn: string;
  readonly publicKey: Buffer;
}

/**
 * The provenance key, found by the alias the stack gives it (locally, the local KMS serves it
 * too), never by the key a run record or ledger record names: whoever can write those could
 * name a key of their own and sign what they like with it.
 */
export async function provenanceKey(target: Target): Promise<ProvenanceKey> {
  const out = await new KMSClient(target.clientConfig).send(new GetPublicKeyCommand({ KeyId: PROVENANCE_KEY_ALIAS }));
  if (!out.PublicKey || !out.KeyId) throw new CommandFailed(`KMS gave no public key for ${PROVENANCE_KEY_ALIAS}`);
  return { arn: out.KeyId, publicKey: Buffer.from(out.PublicKey) };
}

/** The provenance key's public half as PEM, found by its alias. */
export async function provenanceKeyPem(target: Target): Promise<string> {
  const { publicKey } = await provenanceKey(target);
  return createPublicKey({ key: publicKey, format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** Whether a record names the provenance key (by ARN, as RecordProvenance records it, or by key id). */
function keyCheck(recordedKeyId: string, key: ProvenanceKey, whose: string): Check {
  const ok = recordedKeyId === key.arn || `key/${recordedKeyId}` === key.arn.split(':').pop();
  return {
    name: 'key',
    ok,
    detail: ok
      ? `${PROVENANCE_KEY_ALIAS} (${key.arn})`
      : `${whose} names key ${recordedKeyId}, not ${PROVENANCE_KEY_ALIAS} (${key.arn}): whoever wrote the record chose the key; do not trust it`,
  };
}

/** Whether the envelope read is the one the record pins by SHA-256 (as Deploy checks it). */
function envelopeCheck(
  bytes: Buffer,
  recorded: Pick<RunProvenance, 'bucket' | 'key' | 'versionId' | 'envelopeSha256'>,
): Check {
  const digest = sha256Hex(bytes);
  const ok = digest === recorded.envelopeSha256;
  const where = `s3://${recorded.bucket}/${recorded.key} (version ${recorded.versionId})`;
  return {
    name: 'envelope',
    ok,
    detail: ok
      ? `${where}, sha256 ${digest} as pinned`
      : `${where} has sha256 ${digest}, not the pinned ${recorded.envelopeSha256}`,
  };
}

/**
 * The ARN a builder must have: the named CodeBuild project in the control plane's own partition,
 * account and region, which are the provenance key's (the alias resolves in the account the CLI
 * talks to). Matched exactly: a project of that name in another account is another builder.
 */
export function ownProjectArn(keyArn: string, project: string): string {
  const [, partition, , region, account] = keyArn.split(':');
  return `arn:${partition}:codebuild:${region}:${account}:project/${project}`;
}

/**
 * Verifies a run's provenance: the record names the provenance key and its envelope is the pinned
 * one; then the envelope's signature by that key, its builder (exactly the run's project in the
 * control plane's account and region) and commit, and an artifact if given.
 */
export async function verifyRun(
  target: Target,
  run: RunRecord,
  artifactPath?: string,
  allowUntrusted = false,
): Promise<OfflineVerification> {
  const recorded = requireProvenance(run);
  const [envelope, key] = await Promise.all([storedEnvelope(target, recorded), provenanceKey(target)]);
  const pinned = [keyCheck(recorded.keyId, key, `run ${run.runId}`), envelopeCheck(envelope, recorded)];
  if (pinned.some((c) => !c.ok)) return { valid: false, checks: pinned, statement: null };
  const artifact = artifactPath === undefined ? undefined : await readArtifact(artifactPath);
  const result = verifyOffline({
    envelope,
    publicKey: key.publicKey,
    ...(artifact ? { artifact } : {}),
    expect: { commit: run.commit, builderId: ownProjectArn(key.arn, run.plan.build.projectName) },
    allowUntrusted,
  });
  return { ...result, checks: [...pinned, ...result.checks] };
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

/**
 * `✓ signature  ECDSA …` lines, then the verdict. A detail quotes the envelope (its payload type,
 * the builder it names), which is whoever wrote the file's text: shown escaped, it cannot redraw a
 * ✗ as a ✓.
 */
export function verificationText(result: OfflineVerification): string {
  const lines = result.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name.padEnd(12)} ${printable(c.detail)}`);
  lines.push(result.valid ? 'Provenance verified.' : 'Provenance NOT verified.');
  return lines.join('\n');
}

/** The statement as a person reads it: what was built, from what, by whom, and each artifact's digest. */
export function statementText(run: RunRecord, statement: ProvenanceStatement): string {
  const { buildDefinition, runDetails } = statement.predicate;
  const p = buildDefinition.externalParameters;
  const recorded = requireProvenance(run);
  // The ref, the repository, the paths and the artifacts' names are the pusher's and the build's text.
  const t = printable;
  return [
    `Provenance of run ${run.runId} (SLSA ${statement.predicateType.split('/').pop()}, in-toto ${statement._type.split('/').pop()})`,
    `  repository  ${t(p.repository)} @ ${t(p.commit)}${p.ref ? ` (${t(p.ref)})` : ''}`,
    `  buildspec   ${t(p.buildspec.path)}`,
    `  builder     ${t(runDetails.builder.id)}`,
    `  build       ${t(runDetails.metadata.invocationId)}, ${t(runDetails.metadata.startedOn ?? '?')} → ${t(runDetails.metadata.finishedOn ?? '?')}`,
    `  envelope    s3://${recorded.bucket}/${recorded.key} (version ${recorded.versionId}), signed by ${recorded.keyId}`,
    '',
    table(
      ['ARTIFACT', 'SHA-256', 'S3 VERSION'],
      statement.subject.map((s) => [t(s.name), t(s.digest.sha256), t(s.annotations.versionId)]),
    ),
  ].join('\n');
}

function requireProvenance(run: RunRecord) {
  if (run.provenance === undefined)
    throw new CommandFailed(`run ${run.runId} has no recorded provenance (its build was not attested)`);
  return run.provenance;
}

/**
 * For evidence dossiers: the ledger's record must name the provenance key and a builder in the
 * control plane's own account and region; the envelope, fetched at its version, must be the
 * pinned one, signed by that key, by that builder, for the run's commit.
 */
export function provenanceCheck(target: Target): ProvenanceCheck {
  return async (recorded, commit, allowUntrusted) => {
    const key = await provenanceKey(target);
    const keyed = keyCheck(recorded.keyId, key, 'the ledger record');
    if (!keyed.ok) return { verified: false, message: `not verified: ${keyed.detail}` };
    const builderId = ownProjectArn(key.arn, projectOfBuilder(recorded.builderId) ?? '');
    if (recorded.builderId !== builderId)
      return {
        verified: false,
        message: `not verified: the ledger names builder ${recorded.builderId}, not a project of this control plane (${builderId})`,
      };
    const envelope = await ledgerEnvelope(target, recorded.envelope);
    if (sha256Hex(envelope) !== recorded.envelopeSha256) {
      return { verified: false, message: 'the stored envelope is not the one the ledger recorded' };
    }
    const result = verifyOffline({
      envelope,
      publicKey: key.publicKey,
      expect: { builderId, ...(commit ? { commit } : {}) },
      allowUntrusted,
    });
    const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    return result.valid
      ? { verified: true, message: `verified: signed by ${key.arn}, built by ${builderId}` }
      : { verified: false, message: `not verified: ${failed.join('; ')}` };
  };
}

/** The envelope at the `s3://bucket/key?versionId=…` the ledger recorded. */
async function ledgerEnvelope(target: Target, location: string): Promise<Buffer> {
  const url = new URL(location);
  const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: target.kind === 'local' });
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: url.hostname,
      Key: decodeURIComponent(url.pathname.slice(1)),
      VersionId: url.searchParams.get('versionId') ?? undefined,
    }),
  );
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}
