import { generateKeyPairSync, sign, verify } from 'node:crypto';
import type { AuditEvent } from '../../../events';
import { GENESIS_HASH, hashEvent, type UnhashedEvent } from '../../../shared/audit/chain';
import { type Checkpoint, type CheckpointSigner, checkpointMessage } from '../../../shared/audit/checkpoints';
import { toItem } from '../../../shared/audit/ledger';
import { type LedgerSource, type VerifyOptions, verifyLedger } from '../../../shared/audit/verify';
import { verifyLedgerCopy } from '../../../shared/audit/verify-export';

/** A deterministic PRNG, so a failing trial can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NOW = Math.floor(Date.parse('2026-11-23T00:00:00Z') / 1000);

function chainOf(length: number, chain = 'acme/app'): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let seq = 1; seq <= length; seq++) {
    const prev = events.at(-1);
    const unhashed: UnhashedEvent = {
      id: `01J${String(seq).padStart(23, '0')}`,
      time: new Date(Date.parse('2026-07-01T00:00:00Z') + seq * 60_000).toISOString(),
      type: seq % 2 ? 'gate.evaluated' : 'run.started',
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: {
        repository: chain,
        commit: 'c'.repeat(40),
        runId: `run-${seq % 4}`,
        environment: 'prod',
        pipeline: 'app',
      },
      outcome: 'success',
      details: { n: seq, reasons: [`r${seq}`], nested: { coverage: seq / 3 } },
      correlationId: `d-${seq}`,
      chain,
      seq,
      prevHash: prev?.hash ?? GENESIS_HASH,
      expiresAt: NOW + 86_400 * 365,
      prevExpiresAt: prev?.expiresAt ?? null,
    };
    events.push({ ...unhashed, hash: hashEvent(unhashed) });
  }
  return events;
}

/** The ledger as stored items, in key order (chain, seq), as DynamoDB returns them. */
function source(items: Record<string, unknown>[]): LedgerSource {
  const sorted = () => [...items].sort((a, b) => Number(a.seq) - Number(b.seq));
  return {
    chains: async () => [...new Set(items.map((i) => String(i.chain)))],
    chainItems: async function* () {
      yield* sorted();
    },
  };
}

/** The same items as a copy of the table hands them over: in no particular order. */
async function* shuffled(items: Record<string, unknown>[], rand: () => number) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as Record<string, unknown>, copy[i] as Record<string, unknown>];
  }
  yield* copy;
}

/** Verifies from the table and from an unordered copy of it, which must agree on everything they report. */
async function bothWays(items: Record<string, unknown>[], options: VerifyOptions, rand = prng(1)) {
  const report = await verifyLedger(source(items), options);
  const fromCopy = await verifyLedgerCopy(shuffled(items, rand), options);
  expect(fromCopy).toEqual(report);
  return report;
}

type Tamper = (items: Record<string, unknown>[], rand: () => number) => string;

const pick = (n: number, rand: () => number, from = 0) => from + Math.floor(rand() * (n - from));

/** Every way an insider with write access to the table might alter history. */
const TAMPERS: Record<string, Tamper> = {
  'edit a field': (items, rand) => {
    const i = pick(items.length, rand);
    const field = (['outcome', 'time', 'type', 'correlationId'] as const)[pick(4, rand)] ?? 'outcome';
    (items[i] as Record<string, unknown>)[field] = `forged-${field}`;
    return `edit ${field} at ${i + 1}`;
  },
  'edit a nested detail': (items, rand) => {
    const i = pick(items.length, rand);
    const item = items[i] as { details: { nested: { coverage: number } } };
    item.details = { ...item.details, nested: { coverage: 99.9 } };
    return `edit details at ${i + 1}`;
  },
  'delete a record': (items, rand) => {
    const i = pick(items.length, rand);
    items.splice(i, 1);
    return `delete ${i + 1}`;
  },
  'swap two records (keys kept)': (items, rand) => {
    const i = pick(items.length - 1, rand);
    const a = items[i] as Record<string, unknown>;
    const b = items[i + 1] as Record<string, unknown>;
    items[i] = { ...b, seq: a.seq };
    items[i + 1] = { ...a, seq: b.seq };
    return `swap ${i + 1}/${i + 2}`;
  },
  'insert a forged record, renumbering the rest': (items, rand) => {
    const i = pick(items.length, rand);
    const before = items[i - 1] as AuditEvent | undefined;
    const forged: UnhashedEvent = {
      ...(items[i] as AuditEvent),
      id: 'forged',
      prevHash: before?.hash ?? GENESIS_HASH,
      details: { forged: true },
    };
    const inserted = { ...forged, hash: hashEvent(forged) };
    for (const item of items.slice(i)) item.seq = Number(item.seq) + 1;
    items.splice(i, 0, toItem(inserted));
    return `insert at ${i + 1}`;
  },
  'edit and recompute that record hash': (items, rand) => {
    const i = pick(items.length, rand);
    const e = { ...(items[i] as AuditEvent), outcome: 'failure' as const };
    items[i] = toItem({ ...e, hash: hashEvent(e) });
    return `rehash ${i + 1}`;
  },
  'rewrite the whole suffix with recomputed hashes': (items, rand) => {
    const i = pick(items.length, rand);
    let prev = items[i - 1] as AuditEvent | undefined;
    for (let k = i; k < items.length; k++) {
      const e = { ...(items[k] as AuditEvent), prevHash: prev?.hash ?? GENESIS_HASH, outcome: 'failure' as const };
      const rewritten = { ...e, hash: hashEvent(e) };
      items[k] = toItem(rewritten);
      prev = rewritten;
    }
    return `rewrite from ${i + 1}`;
  },
  'truncate the end': (items, rand) => {
    const n = 1 + pick(Math.min(5, items.length - 1), rand);
    items.splice(items.length - n, n);
    return `truncate ${n}`;
  },
};

describe('verify against randomized tampering, from the table and from a copy of it', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer: CheckpointSigner = {
    keyId: 'k',
    sign: async (m) => sign('sha256', m, privateKey),
    verify: async (m, s) => verify('sha256', m, publicKey, s),
  };

  async function checkpointOf(events: AuditEvent[]): Promise<Checkpoint> {
    const head = events.at(-1) as AuditEvent;
    const body = {
      version: 1 as const,
      time: '2026-11-01T00:00:00Z',
      keyId: 'k',
      algorithm: 'ECDSA_SHA_256',
      chains: [{ chain: head.chain, seq: head.seq, hash: head.hash }],
    };
    return { ...body, signature: (await signer.sign(checkpointMessage(body))).toString('base64') };
  }

  /** Verify's options with the one checkpoint `cp` in the store, today. */
  function checkedAgainst(cp: Checkpoint): VerifyOptions {
    return {
      signer,
      checkpoints: {
        put: async () => '',
        list: async function* () {
          yield { key: 'cp', checkpoint: cp };
        },
      },
      now: new Date(NOW * 1000),
    };
  }

  it('an untouched chain verifies', async () => {
    const events = chainOf(40);
    const cp = await checkpointOf(events);
    const report = await bothWays(events.map(toItem), checkedAgainst(cp));
    expect(report).toMatchObject({ ok: true, events: 40 });
  });

  for (const [name, tamper] of Object.entries(TAMPERS)) {
    it(`catches: ${name} (60 random trials)`, async () => {
      for (let trial = 0; trial < 60; trial++) {
        const rand = prng(trial * 7919 + name.length);
        const events = chainOf(5 + pick(40, rand));
        const cp = await checkpointOf(events);
        const items = events.map((e) => structuredClone(toItem(e)));
        const what = tamper(items, rand);
        const report = await bothWays(items, checkedAgainst(cp), rand);
        if (report.ok) throw new Error(`trial ${trial}: "${what}" went unnoticed`);
        expect(report.firstBreak?.message ?? report.checkpoints?.failures[0]?.message).toEqual(expect.any(String));
      }
    });
  }

  it('tells a retention gap (predecessor expired) from a deletion', async () => {
    // Records 1–3 are gone; a year later their retention explains it, today it does not.
    const items = chainOf(10).map(toItem).slice(3);
    const later = await bothWays(items, { now: new Date((NOW + 86_400 * 366) * 1000) });
    expect(later).toMatchObject({ ok: true });
    expect(later.chains[0]?.expired).toEqual([{ from: 1, to: 3 }]);
    const early = await bothWays(items, { now: new Date(NOW * 1000) });
    expect(early.firstBreak).toMatchObject({ kind: 'missing', seq: 4 });
  });
});
