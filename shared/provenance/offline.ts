import { createPublicKey, verify } from 'node:crypto';
import { DSSE_PAYLOAD_TYPE, type ProvenanceStatement, ProvenanceStatementSchema } from '../../events';
import { buildProjectName } from '../config/names';
import { BUILD_CLASSES } from '../pipelines/artifact-layout';
import { openEnvelope, pae, sha256Hex } from './dsse';
import { projectOfBuilder } from './statement';

/** One check of an offline verification, as `gantry provenance verify` prints it. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface OfflineVerification {
  readonly valid: boolean;
  readonly checks: readonly Check[];
  readonly statement: ProvenanceStatement | null;
}

export interface OfflineInputs {
  readonly envelope: Buffer;
  /** The provenance key's public half, PEM (SPKI) or DER. */
  readonly publicKey: Buffer;
  /** A file to check against the statement's subjects. */
  readonly artifact?: { readonly name: string; readonly bytes: Buffer };
  /**
   * What the statement must say, when the caller knows: the run's commit, and its builder's
   * exact ARN (the project in the control plane's own account and region, not any project so named).
   */
  readonly expect?: { readonly commit?: string; readonly builderId?: string };
  /**
   * Whether a pull request's (untrusted) build verifies. Its bytes are signed by the same key, as
   * the record of what was built, but they are no release: without this, the trust check fails.
   * @default false
   */
  readonly allowUntrusted?: boolean;
}

/**
 * Verifies a DSSE envelope with nothing but its bytes and a public key (standard ECDSA over
 * the PAE, as any DSSE verifier does), then what the statement says. No AWS call: an auditor
 * can run it anywhere on an exported envelope.
 */
export function verifyOffline(inputs: OfflineInputs): OfflineVerification {
  const checks: Check[] = [];
  let opened: ReturnType<typeof openEnvelope>;
  try {
    opened = openEnvelope(inputs.envelope);
  } catch (error) {
    return fail(checks, 'envelope', `not a DSSE envelope: ${error instanceof Error ? error.message : 'unreadable'}`);
  }
  checks.push(check('payload type', opened.envelope.payloadType === DSSE_PAYLOAD_TYPE, opened.envelope.payloadType));
  const key = createPublicKey(
    inputs.publicKey.includes('-----BEGIN') ? inputs.publicKey : { key: inputs.publicKey, format: 'der', type: 'spki' },
  );
  const message = pae(opened.envelope.payloadType, opened.payload);
  const signed = opened.signatures.some((sig) => safeVerify(message, key, sig));
  checks.push(
    check('signature', signed, signed ? 'ECDSA P-256 SHA-256 over the DSSE PAE' : 'no signature by this key'),
  );
  const parsed = ProvenanceStatementSchema.safeParse(safeJson(opened.payload));
  if (!parsed.success) return fail(checks, 'statement', 'not a Gantry SLSA v1 provenance statement');
  const statement = parsed.data;
  const { runDetails, buildDefinition } = statement.predicate;
  checks.push(check('statement', true, `${statement.subject.length} subject(s), built by ${runDetails.builder.id}`));
  checks.push(trustCheck(statement, inputs.allowUntrusted === true));
  if (inputs.expect?.builderId !== undefined) {
    const ok = runDetails.builder.id === inputs.expect.builderId;
    checks.push(
      check('builder', ok, ok ? runDetails.builder.id : `${runDetails.builder.id}, not ${inputs.expect.builderId}`),
    );
  }
  if (inputs.expect?.commit !== undefined) {
    const ok = buildDefinition.externalParameters.commit === inputs.expect.commit;
    checks.push(check('commit', ok, buildDefinition.externalParameters.commit));
  }
  if (inputs.artifact !== undefined) checks.push(artifactCheck(statement, inputs.artifact));
  return { valid: checks.every((c) => c.ok), checks, statement };
}

/**
 * What the build is, from the project that built it (its class: `buildProjectName`) and the trust
 * it states. A gated project's build is a release build; an ungated one's is trusted but was built
 * for no environment that waits for approval, so it is called what it is. A pull request's
 * (untrusted) verifies only when asked: the same key signs all three, so a signature alone does
 * not make bytes releasable. A statement that says trusted but names no trusted project of its
 * pipeline fails.
 */
function trustCheck(statement: ProvenanceStatement, allowUntrusted: boolean): Check {
  const { trust, pipeline } = statement.predicate.buildDefinition.internalParameters;
  const builder = statement.predicate.runDetails.builder.id;
  const project = projectOfBuilder(builder);
  const cls = BUILD_CLASSES.find((c) => buildProjectName(pipeline, c) === project);
  if (trust === 'trusted' && cls === 'gated')
    return check(
      'trust',
      true,
      `a gated release build (${project}: for an environment whose releases wait for approval)`,
    );
  if (trust === 'trusted' && cls === 'ungated')
    return check(
      'trust',
      true,
      `an ungated build (${project}: trusted, but built for no environment that waits for approval)`,
    );
  if (trust === 'trusted')
    return check(
      'trust',
      false,
      `it says trusted, but ${builder} is ${cls === 'untrusted' ? `pipeline ${pipeline}'s untrusted project` : `no project of pipeline ${pipeline}`}`,
    );
  return check(
    'trust',
    allowUntrusted,
    allowUntrusted
      ? `an untrusted build (a pull request) by ${project ?? builder}, checked as asked: its bytes are not releasable`
      : `an untrusted build (a pull request) by ${project ?? builder}: its bytes were never reviewed and are not releasable; --allow-untrusted checks it anyway`,
  );
}

function artifactCheck(statement: ProvenanceStatement, artifact: { name: string; bytes: Buffer }): Check {
  const digest = sha256Hex(artifact.bytes);
  const subject = statement.subject.find((s) => s.digest.sha256 === digest);
  return check(
    'artifact',
    subject !== undefined,
    subject
      ? `${artifact.name} is ${subject.name} (sha256 ${digest})`
      : `${artifact.name} (sha256 ${digest}) is no subject`,
  );
}

function safeVerify(message: Buffer, key: ReturnType<typeof createPublicKey>, sig: Buffer): boolean {
  try {
    return verify('sha256', message, key, sig);
  } catch {
    return false;
  }
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

function fail(checks: Check[], name: string, detail: string): OfflineVerification {
  return { valid: false, checks: [...checks, check(name, false, detail)], statement: null };
}
