import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { provenanceCheck, statementText, verificationText, verifyRun } from '../../../cli/provenance';
import type { Target } from '../../../cli/target';
import { DSSE_PAYLOAD_TYPE, type RunProvenance } from '../../../events';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { pae, sha256Hex } from '../../../shared/provenance/dsse';
import { PROVENANCE_KEY_ALIAS } from '../../../shared/provenance/env';
import { provenanceStatement } from '../../../shared/provenance/statement';
import type { RunRecord } from '../../../shared/runs/model';
import { planRequest, sourceEvent } from '../../support/plans';
import { succeededBuild } from '../../support/provenance-fakes';

const OWN_KEY = 'arn:aws:kms:us-east-1:000000000000:key/1111aaaa-0000-0000-0000-000000000000';
/** A key whose policy lets anyone read its public half, as an attacker's would. */
const ATTACKER_KEY = 'arn:aws:kms:us-east-1:999999999999:key/2222bbbb-0000-0000-0000-000000000000';
const target: Target = { kind: 'aws', region: 'us-east-1', profile: undefined, clientConfig: { region: 'us-east-1' } };

const keys = { own: ecKey(), attacker: ecKey() };
const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
const kms = mockClient(KMSClient);
const s3 = mockClient(S3Client);
/** What each bucket's objects hold, by key. */
const objects = new Map<string, Buffer>();

function ecKey() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** A DSSE envelope of the run's statement, signed by `privateKey`, built in `account`. */
function envelope(privateKey: KeyObject, account = '000000000000', buildId = 'b1'): Buffer {
  const build = succeededBuild(`${plan.build.projectName}:${buildId}`, plan, 'artifacts/x', [new Date(), new Date()]);
  const statement = provenanceStatement({
    plan,
    build: { ...build, arn: build.arn.replace(':000000000000:', `:${account}:`) },
    buildspecPath: 'buildspec.yml',
    subjects: [],
  });
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign('sha256', pae(DSSE_PAYLOAD_TYPE, payload), privateKey);
  return Buffer.from(
    JSON.stringify({
      payloadType: DSSE_PAYLOAD_TYPE,
      payload: payload.toString('base64'),
      signatures: [{ keyid: 'k', sig: sig.toString('base64') }],
    }),
  );
}

/** A run whose record (as a runs-table writer may leave it) points at `bytes` in `bucket`, signed by `keyId`. */
function runWith(bytes: Buffer, over: Partial<RunProvenance> = {}): RunRecord {
  const provenance: RunProvenance = {
    bucket: 'gantry-artifacts-000000000000-us-east-1',
    key: 'provenance/widgets/b1.dsse.json',
    versionId: 'v1',
    envelopeSha256: sha256Hex(bytes),
    builderId: `arn:aws:codebuild:us-east-1:000000000000:project/${plan.build.projectName}`,
    keyId: OWN_KEY,
    subjects: [],
    recordedAt: '2026-11-23T10:00:00.000Z',
    ...over,
  };
  objects.set(`${provenance.bucket}/${provenance.key}`, bytes);
  return { runId: plan.runId, commit: plan.commit, pipeline: plan.pipeline, plan, provenance } as RunRecord;
}

/** The same run's provenance as the ledger records it. */
function ledgerRecord(run: RunRecord) {
  const p = run.provenance as RunProvenance;
  return {
    buildId: 'b1',
    builderId: p.builderId,
    trust: 'trusted' as const,
    envelope: `s3://${p.bucket}/${p.key}?versionId=${p.versionId}`,
    envelopeSha256: p.envelopeSha256,
    keyId: p.keyId,
    subjects: [],
  };
}

beforeEach(() => {
  kms.reset();
  s3.reset();
  objects.clear();
  const der = (k: KeyObject) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));
  // KMS answers for the alias and for any key ARN a record could name, as it would.
  kms
    .on(GetPublicKeyCommand, { KeyId: PROVENANCE_KEY_ALIAS })
    .resolves({ KeyId: OWN_KEY, PublicKey: der(keys.own.publicKey) });
  kms.on(GetPublicKeyCommand, { KeyId: OWN_KEY }).resolves({ KeyId: OWN_KEY, PublicKey: der(keys.own.publicKey) });
  kms
    .on(GetPublicKeyCommand, { KeyId: ATTACKER_KEY })
    .resolves({ KeyId: ATTACKER_KEY, PublicKey: der(keys.attacker.publicKey) });
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const bytes = objects.get(`${input.Bucket}/${input.Key}`) ?? Buffer.alloc(0);
    // The one method of an SDK stream the CLI reads.
    const body = { transformToByteArray: async () => new Uint8Array(bytes) };
    return { Body: body as never, VersionId: 'v1' };
  });
});

const failed = (checks: readonly { name: string; ok: boolean }[]) => checks.filter((c) => !c.ok).map((c) => c.name);

describe('verifyRun', () => {
  it("verifies a run whose record names the alias's key, the pinned envelope and this account's project", async () => {
    const result = await verifyRun(target, runWith(envelope(keys.own.privateKey)));
    expect(failed(result.checks)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['key', 'envelope', 'builder']));
  });

  it('refuses a record that names another key, with an envelope in another bucket that key signed', async () => {
    const forged = envelope(keys.attacker.privateKey);
    const run = runWith(forged, { keyId: ATTACKER_KEY, bucket: 'attacker-bucket' });
    const result = await verifyRun(target, run);
    expect(result.valid).toBe(false);
    expect(result.checks.find((c) => c.name === 'key')).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`names key ${ATTACKER_KEY}, not ${PROVENANCE_KEY_ALIAS} (${OWN_KEY})`),
    });
  });

  it('refuses an envelope that is not the one the record pins, though the provenance key signed it', async () => {
    const run = runWith(envelope(keys.own.privateKey, '000000000000', 'b1'));
    // Another build's genuine envelope, put where the run's is: the record's SHA-256 no longer holds.
    objects.set(
      `${run.provenance?.bucket}/${run.provenance?.key}`,
      envelope(keys.own.privateKey, '000000000000', 'b2'),
    );
    const result = await verifyRun(target, run);
    expect(result.valid).toBe(false);
    expect(failed(result.checks)).toEqual(['envelope']);
  });

  it("refuses a builder of the run's project name in another account", async () => {
    const result = await verifyRun(target, runWith(envelope(keys.own.privateKey, '999999999999')));
    expect(result.valid).toBe(false);
    expect(result.checks.find((c) => c.name === 'builder')).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`not arn:aws:codebuild:us-east-1:000000000000:project/${plan.build.projectName}`),
    });
  });
});

describe('provenanceCheck (audit evidence)', () => {
  it('verifies a ledger record of the provenance key and this account’s project', async () => {
    const run = runWith(envelope(keys.own.privateKey));
    await expect(provenanceCheck(target)(ledgerRecord(run), plan.commit, false)).resolves.toMatchObject({
      verified: true,
    });
  });

  it('refuses a ledger record that names another key, whatever that key signed', async () => {
    const run = runWith(envelope(keys.attacker.privateKey), { keyId: ATTACKER_KEY, bucket: 'attacker-bucket' });
    await expect(provenanceCheck(target)(ledgerRecord(run), plan.commit, false)).resolves.toMatchObject({
      verified: false,
      message: expect.stringContaining(`names key ${ATTACKER_KEY}`),
    });
  });

  it('refuses a builder in another account, though the provenance key signed its statement', async () => {
    const run = runWith(envelope(keys.own.privateKey, '999999999999'), {
      builderId: `arn:aws:codebuild:us-east-1:999999999999:project/${plan.build.projectName}`,
    });
    await expect(provenanceCheck(target)(ledgerRecord(run), plan.commit, false)).resolves.toMatchObject({
      verified: false,
      message: expect.stringContaining('not a project of this control plane'),
    });
  });
});

describe('what verify and show print of an envelope’s text', () => {
  /** Nothing a terminal would act on: no ESC, CR, line break or bidi override. */
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
  const inert = (text: string) => expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]/);

  it('cannot redraw a ✗ as a ✓: the payload type or builder an envelope names is shown escaped', () => {
    const text = verificationText({
      valid: false,
      checks: [{ name: 'payload type', ok: false, detail: 'x\x1b[1A\r✓ payload type  ok\n✓ signature ok' }],
      statement: null,
    });
    inert(text);
    expect(text.split('\n')).toEqual([
      '✗ payload type x\\x1b[1A\\r✓ payload type  ok\\n✓ signature ok',
      'Provenance NOT verified.',
    ]);
  });

  it('shows the statement’s ref, paths and artifact names escaped, each on its own line', () => {
    const bytes = envelope(keys.own.privateKey);
    const run = runWith(bytes);
    const statement = JSON.parse(Buffer.from(JSON.parse(bytes.toString()).payload, 'base64').toString());
    statement.predicate.buildDefinition.externalParameters.ref = 'refs/heads/x\n  builder     arn:evil\u202e';
    statement.subject = [
      {
        name: 'dist/\x1b]8;;https://evil\x07a.zip',
        digest: { sha256: 'a'.repeat(64) },
        annotations: { versionId: 'v' },
      },
    ];
    const text = statementText(run, statement);
    inert(text);
    expect(text.split('\n').filter((l) => l.trimStart().startsWith('builder'))).toHaveLength(1);
  });
});
