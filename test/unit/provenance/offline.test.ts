import { generateKeyPairSync, sign } from 'node:crypto';
import { DSSE_PAYLOAD_TYPE, type ProvenanceStatement } from '../../../events';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { pae } from '../../../shared/provenance/dsse';
import { verifyOffline } from '../../../shared/provenance/offline';
import { provenanceStatement } from '../../../shared/provenance/statement';
import { planRequest, sourceEvent } from '../../support/plans';
import { sha256 } from '../../support/provenance-fakes';

const zip = Buffer.from('the release package');

function statement(): ProvenanceStatement {
  const plan = resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' })));
  return provenanceStatement({
    plan,
    build: {
      id: 'gantry-widgets:b1',
      arn: 'arn:aws:codebuild:us-east-1:123456789012:build/gantry-widgets:b1',
      projectName: 'gantry-widgets',
      status: 'SUCCEEDED',
      resolvedSourceVersion: plan.commit,
      artifactsLocation: null,
      buildspec: 'buildspec.yml',
      startTime: null,
      endTime: null,
      phases: [],
    },
    buildspecPath: 'buildspec.yml',
    subjects: [
      {
        name: 'dist/function.zip',
        digest: { sha256: sha256(zip) },
        uri: 's3://b/releases/widgets/b1/artifacts/dist/function.zip',
        annotations: { versionId: 'v1' },
      },
    ],
  });
}

function keys() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** An envelope as any DSSE signer makes it: ECDSA P-256 with SHA-256 over the PAE. */
function envelope(payload: Buffer, privateKey: ReturnType<typeof keys>['privateKey'], type = DSSE_PAYLOAD_TYPE) {
  const sig = sign('sha256', pae(type, payload), privateKey);
  return Buffer.from(
    JSON.stringify({
      payloadType: type,
      payload: payload.toString('base64'),
      signatures: [{ keyid: 'k', sig: sig.toString('base64') }],
    }),
  );
}

describe('pae', () => {
  it('encodes as the DSSE specification’s example', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
});

describe('verifyOffline', () => {
  const { privateKey, publicKey } = keys();
  const pem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
  const payload = Buffer.from(JSON.stringify(statement()));

  it('accepts an envelope signed by the key, and an artifact it attests', () => {
    const result = verifyOffline({
      envelope: envelope(payload, privateKey),
      publicKey: pem,
      artifact: { name: 'function.zip', bytes: zip },
    });
    expect(result.valid).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual(['payload type', 'signature', 'statement', 'trust', 'artifact']);
  });

  it("refuses a pull request's (untrusted) build, signed by the same key, unless asked to check it anyway", () => {
    const pr = statement();
    const untrusted = {
      ...pr,
      predicate: {
        ...pr.predicate,
        buildDefinition: {
          ...pr.predicate.buildDefinition,
          internalParameters: { ...pr.predicate.buildDefinition.internalParameters, trust: 'untrusted' as const },
        },
      },
    };
    const signed = envelope(Buffer.from(JSON.stringify(untrusted)), privateKey);
    const refused = verifyOffline({ envelope: signed, publicKey: pem, artifact: { name: 'function.zip', bytes: zip } });
    expect(refused.valid).toBe(false);
    expect(refused.checks.filter((c) => !c.ok)).toEqual([
      {
        name: 'trust',
        ok: false,
        detail: expect.stringContaining(
          'an untrusted build (a pull request) by gantry-widgets: its bytes were never reviewed',
        ),
      },
    ]);
    const asked = verifyOffline({ envelope: signed, publicKey: pem, allowUntrusted: true });
    expect(asked.valid).toBe(true);
    expect(asked.checks.find((c) => c.name === 'trust')?.detail).toContain('not releasable');
  });

  /** The statement as project `project` would have built it, stating `trust`. */
  function builtBy(project: string, trust: 'trusted' | 'untrusted' = 'trusted'): Buffer {
    const s = statement();
    const signed = {
      ...s,
      predicate: {
        runDetails: {
          ...s.predicate.runDetails,
          builder: { id: `arn:aws:codebuild:us-east-1:123456789012:project/${project}` },
        },
        buildDefinition: {
          ...s.predicate.buildDefinition,
          internalParameters: { ...s.predicate.buildDefinition.internalParameters, trust },
        },
      },
    };
    return envelope(Buffer.from(JSON.stringify(signed)), privateKey);
  }

  const trustOf = (signed: Buffer) =>
    verifyOffline({ envelope: signed, publicKey: pem }).checks.find((c) => c.name === 'trust');

  it('calls a gated project’s build a release build', () => {
    expect(trustOf(builtBy('gantry-widgets-gated'))).toEqual({
      name: 'trust',
      ok: true,
      detail: 'a gated release build (gantry-widgets-gated: for an environment whose releases wait for approval)',
    });
  });

  it('calls an ungated project’s build what it is, not a release build', () => {
    const trust = trustOf(builtBy('gantry-widgets'));
    expect(trust).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^an ungated build \(gantry-widgets: trusted/),
    });
    expect(trust?.detail).not.toContain('release');
  });

  it.each([
    ['gantry-widgets-untrusted', "pipeline widgets's untrusted project"],
    ['gantry-gadgets-gated', 'no project of pipeline widgets'],
  ])('refuses a statement that says trusted but was built by %s', (project, what) => {
    expect(trustOf(builtBy(project))).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${project} is ${what}`),
    });
  });

  it('accepts the public key as DER too (as KMS GetPublicKey returns it)', () => {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    expect(verifyOffline({ envelope: envelope(payload, privateKey), publicKey: der }).valid).toBe(true);
  });

  it.each([
    [
      'a payload edited after signing',
      () =>
        envelope(payload, privateKey)
          .toString()
          .replace(/"payload":"./, '"payload":"A'),
    ],
    ['a signature by another key', () => envelope(payload, keys().privateKey).toString()],
    [
      'a signature over another payload type',
      () => {
        const e = JSON.parse(envelope(payload, privateKey, 'text/plain').toString());
        return JSON.stringify({ ...e, payloadType: DSSE_PAYLOAD_TYPE });
      },
    ],
  ])('refuses %s', (_what, make) => {
    const result = verifyOffline({ envelope: Buffer.from(make()), publicKey: pem });
    expect(result.valid).toBe(false);
    expect(result.checks.find((c) => c.name === 'signature')?.ok).toBe(false);
  });

  it('refuses an artifact that is none of the subjects', () => {
    const result = verifyOffline({
      envelope: envelope(payload, privateKey),
      publicKey: pem,
      artifact: { name: 'function.zip', bytes: Buffer.from('other bytes') },
    });
    expect(result).toMatchObject({
      valid: false,
      checks: expect.arrayContaining([expect.objectContaining({ name: 'artifact', ok: false })]),
    });
  });

  it('refuses a statement for another commit or builder when told what to expect', () => {
    const result = verifyOffline({
      envelope: envelope(payload, privateKey),
      publicKey: pem,
      expect: { commit: 'c'.repeat(40), builderId: 'arn:aws:codebuild:us-east-1:123456789012:project/gantry-widgets' },
    });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['commit']);
  });

  it('refuses a builder that only ends like the expected one (a project so named in another account)', () => {
    const result = verifyOffline({
      envelope: envelope(payload, privateKey),
      publicKey: pem,
      expect: { builderId: 'arn:aws:codebuild:us-east-1:000000000000:project/gantry-widgets' },
    });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['builder']);
  });

  it('says what is wrong with bytes that are no envelope', () => {
    const result = verifyOffline({ envelope: Buffer.from('not json'), publicKey: pem });
    expect(result).toMatchObject({ valid: false, checks: [{ name: 'envelope', ok: false }] });
  });
});
