import { rememberingVerdicts } from '../../../shared/audit/checkpoints';
import { type ChangeDossier, unvouched } from '../../../shared/audit/evidence';

/** The parts of a dossier `unvouched` reads: a change whose records verify, checkpoints checked, provenance verified. */
function dossier(overrides: Partial<Pick<ChangeDossier, 'integrity' | 'provenance' | 'deployment'>> = {}) {
  return {
    runId: 'run-1',
    integrity: {
      verified: true,
      chain: 'acme/app',
      checkpointed: true,
      checkpointsChecked: true,
      message: 'chain "acme/app" verified',
      links: [],
    },
    provenance: {
      envelope: 's3://b/k',
      envelopeSha256: 'a'.repeat(64),
      builderId: 'arn:aws:codebuild:eu-west-1:1:project/app',
      subjects: [],
      verified: true,
      verification: 'signature and digest verified',
    },
    deployment: { deployed: true, outcome: 'succeeded', events: [], undoneBy: [] },
    ...overrides,
  };
}

describe('what a dossier cannot vouch for (gantry audit evidence exits 1)', () => {
  it('nothing, for a verified, checkpointed, attested change', () => {
    expect(unvouched(dossier())).toEqual([]);
  });

  it('records that do not verify, or checkpoints that could not be checked, with the reason', () => {
    const broken = dossier({ integrity: { ...dossier().integrity, verified: false, message: 'seq 2 was edited' } });
    expect(unvouched(broken)).toEqual(['run run-1: its ledger records do not verify: seq 2 was edited']);
    const unchecked = dossier({
      integrity: {
        ...dossier().integrity,
        checkpointsChecked: false,
        checkpointed: false,
        message: 'checkpoints not checked (the checkpoint bucket could not be found: no output)',
      },
    });
    expect(unvouched(unchecked)).toEqual([
      'run run-1: the signed checkpoints were not checked: checkpoints not checked (the checkpoint bucket could not be found: no output)',
    ]);
  });

  it('a deployment whose provenance fails, or that has none; not a validation run without one', () => {
    const provenance = { ...(dossier().provenance as NonNullable<ChangeDossier['provenance']>) };
    expect(
      unvouched(dossier({ provenance: { ...provenance, verified: false, verification: 'digest differs' } })),
    ).toEqual(['run run-1: the build provenance does not verify: digest differs']);
    expect(unvouched(dossier({ provenance: null }))).toEqual([
      'run run-1: it was deployed, and the ledger holds no build provenance',
    ]);
    const validation = dossier({
      provenance: null,
      deployment: { deployed: false, outcome: 'no deployment', events: [], undoneBy: [] },
    });
    expect(unvouched(validation)).toEqual([]);
  });
});

describe('a signer that remembers its verdicts (the console checks the checkpoints for every dossier)', () => {
  it('asks the key once per message and signature, and keeps a refusal a refusal', async () => {
    const asked: string[] = [];
    const signer = rememberingVerdicts({
      keyId: 'k',
      sign: async () => Buffer.from('s'),
      verify: async (message, signature) => {
        asked.push(`${message}:${signature}`);
        return signature.toString() === 'good';
      },
    });
    for (let i = 0; i < 3; i++) {
      expect(await signer.verify(Buffer.from('m'), Buffer.from('good'))).toBe(true);
      expect(await signer.verify(Buffer.from('m'), Buffer.from('forged'))).toBe(false);
    }
    expect(asked).toEqual(['m:good', 'm:forged']);
  });
});
