import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AuditEvent } from '../../../events';
import { type CheckpointSigner, checkpointMessage } from '../../../shared/audit/checkpoints';
import { CHAIN_REGISTRY, onceKeyPartition, registrySeq, toItem } from '../../../shared/audit/ledger';
import {
  type DescribedExport,
  type ExportObjects,
  ExportUnreadableError,
  exportedItems,
  exportFolder,
  openLedgerExport,
  readExportManifest,
} from '../../../shared/audit/table-export';
import { verifyLedgerCopy } from '../../../shared/audit/verify-export';
import { EXPORT_FOLDER, exportArnOf, exportedLedger, LEDGER_TABLE_ARN, ledgerChain } from '../../support/audit-export';

const FOLDER = EXPORT_FOLDER;
const TABLE_ARN = LEDGER_TABLE_ARN;
const EXPORT_ARN = exportArnOf(FOLDER);
const NOW = new Date('2026-12-04T00:00:00Z');

const chain = (name: string, length: number) =>
  ledgerChain(name, length, () => Math.floor(NOW.getTime() / 1000) + 86_400 * 365);

/** A ledger table's items: two chains, their registry entries, and a `once` claim (not a record). */
function tableItems(): Record<string, unknown>[] {
  const chains = { 'acme/app': chain('acme/app', 30), 'acme/lib': chain('acme/lib', 12) };
  return [
    ...Object.values(chains).flatMap((events) => events.map(toItem)),
    ...Object.keys(chains).map((name) => ({ chain: CHAIN_REGISTRY, seq: registrySeq(name), name })),
    { chain: onceKeyPartition('delivery:1'), seq: 1, at: 1, from: 3, expiresAt: 1 },
  ];
}

/** Writes the items as a DynamoDB export into a bucket held in memory. */
const exported = (items: Record<string, unknown>[]) => exportedLedger(items, NOW);

async function verifyExport(objects: ExportObjects, folder = FOLDER) {
  const manifest = await readExportManifest(objects, exportFolder(folder));
  return verifyLedgerCopy(exportedItems(objects, manifest), { now: NOW });
}

function dataKeys(bucket: Map<string, Buffer>): string[] {
  return [...bucket.keys()].filter((k) => k.includes('/data/'));
}

describe('verifying the ledger from a DynamoDB export (DYNAMODB_JSON, as export-table-to-point-in-time writes it)', () => {
  it('reads every record of every file back and verifies both chains, skipping the registry and the claims', async () => {
    const { bucket, objects } = await exported(tableItems());
    expect(dataKeys(bucket).length).toBe(4);
    const report = await verifyExport(objects, `${FOLDER}/manifest-summary.json`);
    expect(report).toMatchObject({ ok: true, events: 42, firstBreak: null });
    expect(report.chains.map((c) => [c.chain, c.events, c.head?.seq])).toEqual([
      ['acme/app', 30, 30],
      ['acme/lib', 12, 12],
    ]);
  });

  it('finds a record deleted from the table before the export, when the manifests agree with the files', async () => {
    const items = tableItems().filter((item) => !(item.chain === 'acme/app' && item.seq === 7));
    const { objects } = await exported(items);
    const report = await verifyExport(objects);
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ chain: 'acme/app', seq: 8, kind: 'missing' });
  });

  it('lists a chain the registry names even when none of its records are left, as verify from the table does', async () => {
    const items = tableItems().filter((item) => item.chain !== 'acme/lib');
    const { objects } = await exported(items);
    const report = await verifyExport(objects);
    expect(report.chains.find((c) => c.chain === 'acme/lib')).toMatchObject({ events: 0, head: null });
  });

  it('refuses a data file changed after the export (its MD5 no longer matches the manifest)', async () => {
    const { bucket, objects } = await exported(tableItems());
    const key = dataKeys(bucket).find((k) => gunzipSync(bucket.get(k) as Buffer).includes('"success"')) as string;
    const text = gunzipSync(bucket.get(key) as Buffer)
      .toString('utf8')
      .replace('"success"', '"failure"');
    bucket.set(key, gzipSync(text));
    await expect(verifyExport(objects)).rejects.toThrow(/MD5 .* it was changed after the export/);
  });

  it('refuses a data file the manifest lists but the bucket lacks', async () => {
    const { bucket, objects } = await exported(tableItems());
    bucket.delete(dataKeys(bucket)[0] as string);
    await expect(verifyExport(objects)).rejects.toThrow(ExportUnreadableError);
    await expect(verifyExport(objects)).rejects.toThrow(/listed in the manifest but missing/);
  });

  it('refuses manifests that disagree about how many items the export holds', async () => {
    const { bucket, objects } = await exported(tableItems());
    const summaryKey = `${FOLDER}/manifest-summary.json`;
    const summary = JSON.parse(String(bucket.get(summaryKey)));
    bucket.set(summaryKey, Buffer.from(JSON.stringify({ ...summary, itemCount: summary.itemCount + 1 })));
    await expect(verifyExport(objects)).rejects.toThrow(/counts 46 items, its files 45/);
  });

  it('refuses an ION or an incremental export, and a folder with no export, saying what to do', async () => {
    const { bucket, objects } = await exported(tableItems());
    const summaryKey = `${FOLDER}/manifest-summary.json`;
    const summary = JSON.parse(String(bucket.get(summaryKey)));
    bucket.set(summaryKey, Buffer.from(JSON.stringify({ ...summary, outputFormat: 'ION' })));
    await expect(verifyExport(objects)).rejects.toThrow(/--export-format DYNAMODB_JSON/);
    bucket.set(summaryKey, Buffer.from(JSON.stringify({ ...summary, exportType: 'INCREMENTAL_EXPORT' })));
    await expect(verifyExport(objects)).rejects.toThrow(/verify a FULL_EXPORT/);
    await expect(verifyExport(objects, 'ledger/AWSDynamoDB/nothing')).rejects.toThrow(/wait until it is COMPLETED/);
  });

  describe('checked against what DynamoDB says of the export (DescribeExport), not only its own manifests', () => {
    const described = (over: Partial<DescribedExport> = {}): DescribedExport => ({
      exportArn: EXPORT_ARN,
      tableArn: TABLE_ARN,
      bucket: 'exports',
      manifestKey: `${FOLDER}/manifest-summary.json`,
      exportTime: NOW,
      itemCount: 45,
      ...over,
    });

    it('opens the export, dated by DynamoDB even when its summary was backdated to skip the checkpoints', async () => {
      const { bucket, objects } = await exported(tableItems());
      const summaryKey = `${FOLDER}/manifest-summary.json`;
      const summary = JSON.parse(String(bucket.get(summaryKey)));
      bucket.set(summaryKey, Buffer.from(JSON.stringify({ ...summary, exportTime: '2020-01-01T00:00:00.000Z' })));
      const copy = await openLedgerExport(objects, described(), 'gantry-audit');
      expect(copy.asOf).toEqual(NOW);
      expect(copy.exportTime).toBe('2020-01-01T00:00:00.000Z');
    });

    it('refuses records removed from the copy after the export, even with every manifest rewritten to match', async () => {
      // The files and manifests are written again without one record: only DynamoDB's count tells.
      const { objects } = await exported(
        tableItems().filter((item) => !(item.chain === 'acme/app' && item.seq === 30)),
      );
      await expect(openLedgerExport(objects, described(), 'gantry-audit')).rejects.toThrow(
        "DynamoDB exported 45 items, the export's files list 44: items were removed or added after the export",
      );
    });

    it('refuses an export of another table, and manifests that name another export', async () => {
      const { objects } = await exported(tableItems());
      await expect(
        openLedgerExport(
          objects,
          described({ tableArn: TABLE_ARN.replace('gantry-audit', 'gantry-runs') }),
          'gantry-audit',
        ),
      ).rejects.toThrow(/not of the ledger's table gantry-audit/);
      await expect(
        openLedgerExport(
          objects,
          described({ exportArn: `${TABLE_ARN}/export/01764806400000-ffffffff` }),
          'gantry-audit',
        ),
      ).rejects.toThrow(/names export .*0a1b2c3d, not .*ffffffff: it was replaced/);
    });
  });

  it('compares only checkpoints signed by the export time: a later one signed heads the copy cannot hold', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signer: CheckpointSigner = {
      keyId: 'k',
      sign: async (m) => sign('sha256', m, privateKey),
      verify: async (m, sig) => verify('sha256', m, publicKey, sig),
    };
    const head = (events: AuditEvent[]) => {
      const last = events.at(-1) as AuditEvent;
      return { chain: last.chain, seq: last.seq, hash: last.hash };
    };
    const signedAt = async (time: Date, chains: ReturnType<typeof head>[]) => {
      const body = { version: 1 as const, time: time.toISOString(), keyId: 'k', algorithm: 'ECDSA_SHA_256', chains };
      return { ...body, signature: (await signer.sign(checkpointMessage(body))).toString('base64') };
    };
    // The hourly one before the export signs the heads it holds; the later one a longer chain.
    const before = await signedAt(new Date(NOW.getTime() - 3_600_000), [
      head(chain('acme/app', 30)),
      head(chain('acme/lib', 12)),
    ]);
    const later = await signedAt(new Date(NOW.getTime() + 3_600_000), [head(chain('acme/app', 35))]);
    const checkpoints = {
      put: async () => '',
      list: async function* () {
        yield { key: 'before', checkpoint: before };
        yield { key: 'later', checkpoint: later };
      },
    };
    const { objects } = await exported(tableItems());
    const manifest = await readExportManifest(objects, FOLDER);
    const copy = () => exportedItems(objects, manifest);
    const asOfExport = await verifyLedgerCopy(copy(), { now: NOW, signer, checkpoints, checkpointsUpTo: NOW });
    expect(asOfExport).toMatchObject({ ok: true, checkpoints: { checked: 2, later: 1, failures: [] } });
    const unfiltered = await verifyLedgerCopy(copy(), { now: NOW, signer, checkpoints });
    expect(unfiltered.firstBreak).toMatchObject({ chain: 'acme/app', kind: 'checkpoint', seq: 35 });
  });
});
