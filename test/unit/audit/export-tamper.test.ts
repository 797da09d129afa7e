import { createHash, generateKeyPairSync, sign, verify as verify_ } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { verifyTable } from '../../../cli/audit';
import { workerDataFileReader } from '../../../cli/workers/export-readers';
import type { AuditEvent } from '../../../events';
import { type CheckpointSigner, checkpointMessage } from '../../../shared/audit/checkpoints';
import type { LedgerTableItems } from '../../../shared/audit/copy-confirm';
import { CHAIN_REGISTRY, onceKeyPartition, registrySeq, toItem } from '../../../shared/audit/ledger';
import {
  type DescribedExport,
  type ExportObjects,
  ExportUnreadableError,
  exportedItems,
  openLedgerExport,
  readExportManifest,
} from '../../../shared/audit/table-export';
import { type ExportVerifyOptions, verifyLedgerCopy, verifyLedgerExport } from '../../../shared/audit/verify-export';
import { EXPORT_FOLDER, exportArnOf, exportedLedger, LEDGER_TABLE_ARN, ledgerChain } from '../../support/audit-export';

const FOLDER = EXPORT_FOLDER;
const OTHER = 'ledger/AWSDynamoDB/01764800000000-99999999';
const TABLE_ARN = LEDGER_TABLE_ARN;
const EXPORT_ARN = exportArnOf(FOLDER);
/** The export's time, long enough ago that what expired a week after it has expired by the time the test runs. */
const AS_OF = new Date('2024-01-04T00:00:00Z');
const asOfSeconds = Math.floor(AS_OF.getTime() / 1000);

/** Records written before the export (a record dated after it could not be in it). */
const chain = (name: string, length: number, expiresAt: (seq: number) => number) =>
  ledgerChain(name, length, expiresAt, new Date(AS_OF.getTime() - 3 * 86_400_000));

const yearAfter = () => asOfSeconds + 86_400 * 365;

/** The once key acme/app's seq 4 was written with. */
const KEY = 'run/r-4/run.started';

/**
 * A ledger table's items: one chain, its registry entry, and the claim and done marker that
 * seq 4's key left in its own partition (as the ledger writes them: the record carries its key).
 */
function tableItems(events = chain('acme/app', 20, yearAfter)): Record<string, unknown>[] {
  return [
    ...events.map((event) => (event.seq === 4 ? { ...toItem(event), once: KEY } : toItem(event))),
    { chain: CHAIN_REGISTRY, seq: registrySeq('acme/app'), name: 'acme/app' },
    ...onceItems(KEY, events[3] as AuditEvent),
  ];
}

/** The claim and done marker a record written with `key` leaves (`appendOnce`). */
function onceItems(key: string, event: AuditEvent): [claim: Record<string, unknown>, marker: Record<string, unknown>] {
  const partition = onceKeyPartition(key);
  const at = Date.parse(event.time) - 20;
  return [
    { chain: partition, seq: 1, from: event.seq - 1, at, expiresAt: event.expiresAt },
    { chain: partition, seq: 0, eventChain: event.chain, eventSeq: event.seq, expiresAt: event.expiresAt },
  ];
}

const exported = (items: Record<string, unknown>[], folder = FOLDER, bucket = new Map<string, Buffer>()) =>
  exportedLedger(items, AS_OF, folder, bucket);

const described = (itemCount: number): DescribedExport => ({
  exportArn: EXPORT_ARN,
  tableArn: TABLE_ARN,
  bucket: 'exports',
  manifestKey: `${FOLDER}/manifest-summary.json`,
  exportTime: AS_OF,
  itemCount,
});

const filesKey = `${FOLDER}/manifest-files.json`;
const summaryKey = `${FOLDER}/manifest-summary.json`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const manifestLines = (bucket: Map<string, Buffer>) =>
  String(bucket.get(filesKey))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { itemCount: number; md5Checksum: string; dataFileS3Key: string });

/** What someone who may write the bucket does after changing data files: MD5s and counts made to match. */
function rewriteManifests(bucket: Map<string, Buffer>, files = manifestLines(bucket)) {
  const fixed = files.map((f) => {
    const gz = bucket.get(f.dataFileS3Key) as Buffer;
    const count = gz[0] === 0x1f ? lines(bucket, f.dataFileS3Key).length : f.itemCount;
    return { ...f, itemCount: count, md5Checksum: md5(gz) };
  });
  bucket.set(filesKey, Buffer.from(fixed.map((f) => JSON.stringify(f)).join('\n')));
  const summary = JSON.parse(String(bucket.get(summaryKey)));
  const itemCount = fixed.reduce((n, f) => n + f.itemCount, 0);
  bucket.set(summaryKey, Buffer.from(JSON.stringify({ ...summary, itemCount })));
}

const lines = (bucket: Map<string, Buffer>, key: string) =>
  gunzipSync(bucket.get(key) as Buffer)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const setLines = (bucket: Map<string, Buffer>, key: string, ls: string[]) =>
  bucket.set(key, gzipSync(ls.length === 0 ? '' : `${ls.join('\n')}\n`));

/** How the data files are read: here, one after another, or in worker threads as the CLI reads them. */
const readers = {
  'in this thread': undefined,
  'in worker threads (the CLI)': workerDataFileReader(2),
};
let reader: (typeof readers)[keyof typeof readers];
afterAll(() => readers['in worker threads (the CLI)'].close());

async function verify(objects: ExportObjects, itemCount: number, options: ExportVerifyOptions = {}) {
  const copy = await openLedgerExport(objects, described(itemCount), 'gantry-audit');
  return verifyLedgerExport(objects, copy, options, reader);
}

/**
 * Verifies an export of `items` as DynamoDB counted them: an export of a table holding them, or
 * what someone who may write the bucket leaves when they cut as many items as they add (files
 * and manifests rewritten to match, so only what is in them can tell).
 */
async function verifyExportOf(items: Record<string, unknown>[], options: ExportVerifyOptions = {}) {
  const { objects } = await exported(items);
  return verify(objects, items.length, options);
}

/** The untouched table without acme/app's newest records (signed by no checkpoint). */
const withoutNewest = (from = 20) => tableItems().filter((i) => !(i.chain === 'acme/app' && Number(i.seq) >= from));

/** A claim under a key no record was written with, made `before` ms ahead of the export. */
const strayClaim = (key: string, before = 60_000) => ({
  chain: onceKeyPartition(key),
  seq: 1,
  from: 19,
  at: AS_OF.getTime() - before,
  expiresAt: yearAfter(),
});

/** The table as `items`, read by key (what --confirm-in-table reads). */
function tableOf(items: Record<string, unknown>[]): LedgerTableItems {
  return {
    item: async (chain, seq) => items.find((i) => i.chain === chain && i.seq === seq),
    hasRecords: async (chain) => items.some((i) => i.chain === chain),
  };
}

/** A checkpoint store holding one checkpoint, signed at `time` over these heads. */
async function checkpointOf(time: Date, heads: AuditEvent[]) {
  const body = {
    version: 1 as const,
    time: time.toISOString(),
    keyId: 'k',
    algorithm: 'ECDSA_SHA_256',
    chains: heads.map((h) => ({ chain: h.chain, seq: h.seq, hash: h.hash, expiresAt: h.expiresAt })),
  };
  const checkpoint = { ...body, signature: (await signer.sign(checkpointMessage(body))).toString('base64') };
  return {
    put: async () => '',
    list: async function* () {
      yield { key: 'hourly', checkpoint };
    },
  };
}

/** acme/app's record at `seq`, as `tableItems` holds it. */
const appAt = (seq: number) => chain('acme/app', 20, yearAfter)[seq - 1] as AuditEvent;

const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const signer: CheckpointSigner = {
  keyId: 'k',
  sign: async (m) => sign('sha256', m, keys.privateKey),
  verify: async (m, sig) => verify_('sha256', m, keys.publicKey, sig),
};

describe.each(Object.keys(readers) as (keyof typeof readers)[])(
  'verify --from-export against a hostile bucket, files read %s',
  (how) => {
    beforeAll(() => {
      reader = readers[how];
    });

    it('judges retention as of the export: a record deleted before it expired is missing, though it has expired since', async () => {
      // seq 7 expires a week after the export; it is gone from the export all the same.
      const events = chain('acme/app', 20, (seq) => (seq === 7 ? asOfSeconds + 7 * 86_400 : yearAfter()));
      const items = tableItems(events).filter((i) => !(i.chain === 'acme/app' && i.seq === 7));
      const { objects } = await exported(items);
      const report = await verify(objects, items.length);
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ chain: 'acme/app', seq: 8, kind: 'missing' });
    });

    it('checks the time of a record whose predecessor retention took: dated after the export, it is a break', async () => {
      // Seq 1 expired before the export; seq 2 onwards claim a time after it (to never look overdue).
      const events = ledgerChain(
        'acme/app',
        5,
        (seq) => (seq === 1 ? asOfSeconds - 86_400 : yearAfter()),
        new Date(AS_OF.getTime() + 86_400_000),
      );
      const items = tableItems(events).filter((i) => !(i.chain === 'acme/app' && i.seq === 1));
      const { objects } = await exported(items);
      const report = await verify(objects, items.length);
      expect(report.firstBreak).toMatchObject({ chain: 'acme/app', seq: 2, kind: 'dated' });
    });

    it('reports a number written by hand beyond 2^53 as that record altered, not a crash naming none', async () => {
      const items = tableItems().map((i) =>
        i.chain === 'acme/app' && i.seq === 5
          ? { ...i, details: { ...(i.details as object), build: 9_007_199_254_740_993n } }
          : i,
      );
      const { objects } = await exported(items);
      const report = await verify(objects, items.length);
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ chain: 'acme/app', seq: 5, kind: 'altered' });
    });

    it('still explains a gap retention made before the export', async () => {
      const events = chain('acme/app', 20, (seq) => (seq === 7 ? asOfSeconds - 86_400 : yearAfter()));
      const items = tableItems(events).filter((i) => !(i.chain === 'acme/app' && i.seq === 7));
      const { objects } = await exported(items);
      const report = await verify(objects, items.length);
      expect(report).toMatchObject({ ok: true, firstBreak: null });
      expect(report.chains[0]?.expired).toEqual([{ from: 7, to: 7 }]);
    });

    it('refuses a copy padded to DynamoDB’s count with a duplicated claim after a record was removed', async () => {
      const items = tableItems();
      const { bucket, objects } = await exported(items);
      const dataKeys = manifestLines(bucket).map((f) => f.dataFileS3Key);
      // Drop the chain's head (seq 20) and copy the once claim's line in its place.
      for (const key of dataKeys) {
        const ls = lines(bucket, key);
        const kept = ls.filter((l) => !(l.includes('"acme/app"') && l.includes('"seq":{"N":"20"}')));
        const claim = ls.find((l) => l.includes('#once#'));
        setLines(bucket, key, claim === undefined ? kept : [...kept, claim]);
      }
      rewriteManifests(bucket);
      await expect(verify(objects, items.length)).rejects.toThrow(ExportUnreadableError);
    });

    /** Drops acme/app's head (seq 20, signed by no checkpoint) and adds `padding` in its place, manifests rewritten. */
    async function headCutAndPadded(padding: Record<string, unknown>) {
      const items = tableItems();
      const { bucket, objects } = await exported(items);
      const [first] = manifestLines(bucket);
      const line = JSON.stringify({ Item: marshall(padding) });
      for (const { dataFileS3Key: key } of manifestLines(bucket)) {
        const kept = lines(bucket, key).filter((l) => !(l.includes('"acme/app"') && l.includes('"seq":{"N":"20"}')));
        setLines(bucket, key, key === first?.dataFileS3Key ? [...kept, line] : kept);
      }
      rewriteManifests(bucket);
      return verify(objects, items.length);
    }

    it('refuses a copy whose unsigned head was cut and a claim under a new key put in its place', async () => {
      await expect(headCutAndPadded(strayClaim('forged'))).rejects.toThrow(
        /1 item\(s\) of the export are accounted for by no record or checkpoint .*claim #once#[0-9a-f]{64} \/ 1: no record in the export carries its key/,
      );
    });

    it('refuses a copy whose unsigned head was cut and a registry entry for a chain that never existed put in its place', async () => {
      const ghost = { chain: CHAIN_REGISTRY, seq: registrySeq('acme/ghost'), name: 'acme/ghost' };
      await expect(headCutAndPadded(ghost)).rejects.toThrow(
        /registry entry #chains \/ \d+: no record of chain "acme\/ghost" is in the export and no checkpoint signed it/,
      );
    });

    describe('every item that is not a record must be accounted for, or the copy could be padded to DynamoDB’s count', () => {
      const partition = onceKeyPartition(KEY);
      const padding: [string, Record<string, unknown>, RegExp][] = [
        [
          'a later claim of a key whose record is there',
          { chain: partition, seq: 2, from: 4, at: AS_OF.getTime() - 60_000, expiresAt: yearAfter() },
          /claim #once#.* \/ 2: a later claim of a key whose record is in the export/,
        ],
        [
          'a done marker naming a record written without a key',
          { chain: onceKeyPartition('forged'), seq: 0, eventChain: 'acme/app', eventSeq: 5, expiresAt: yearAfter() },
          /done marker .* \/ 0: it names acme\/app seq 5, and no record there in the export carries its key/,
        ],
        [
          'a done marker naming the record that was cut',
          { chain: onceKeyPartition('forged'), seq: 0, eventChain: 'acme/app', eventSeq: 20, expiresAt: yearAfter() },
          /it names acme\/app seq 20, and no record there/,
        ],
        [
          'a registry entry at a seq the ledger does not keep it at',
          { chain: CHAIN_REGISTRY, seq: 7, name: 'acme/ghost' },
          /names chain "acme\/ghost", whose entry the ledger keeps at seq \d+: it is not an item Gantry writes/,
        ],
        [
          'an item in a partition the ledger does not have',
          { chain: '#audit', seq: 1, note: 'x' },
          /#audit \/ 1 is in a partition the ledger does not have/,
        ],
        [
          'a claim with an attribute the ledger does not write',
          { ...strayClaim('forged'), note: 'x' },
          /is in a claim's place but is not one \(note unknown\)/,
        ],
        [
          'a claim without its expiry',
          { chain: onceKeyPartition('forged'), seq: 1, at: 1, from: 19 },
          /is in a claim's place but is not one \(expiresAt missing or malformed\)/,
        ],
      ];
      it.each(padding)('refuses the newest record cut and %s put in its place', async (_what, item, refusal) => {
        await expect(verifyExportOf([...withoutNewest(), item])).rejects.toThrow(refusal);
      });

      it('accepts a key’s claim and done marker, which the record written with the key accounts for', async () => {
        const items = tableItems();
        expect(items.filter((i) => String(i.chain).startsWith('#once#'))).toHaveLength(2);
        expect(await verifyExportOf(items)).toMatchObject({ ok: true, events: 20 });
      });

      it('accepts a registry entry whose chain retention emptied, when a checkpoint signed the chain', async () => {
        // acme/old's only record expired before the export; the hourly checkpoint signed it before then.
        const old = chain('acme/old', 1, () => asOfSeconds - 86_400);
        const entry = { chain: CHAIN_REGISTRY, seq: registrySeq('acme/old'), name: 'acme/old' };
        const items = [...tableItems(), entry];
        const checkpoints = await checkpointOf(new Date(AS_OF.getTime() - 2 * 86_400_000), [
          old[0] as AuditEvent,
          appAt(20),
        ]);
        await expect(verifyExportOf(items)).rejects.toThrow(/no record of chain "acme\/old"/);
        const report = await verifyExportOf(items, { signer, checkpoints });
        expect(report.ok).toBe(true);
        expect(report.chains.find((c) => c.chain === 'acme/old')).toMatchObject({ events: 0 });
      });
    });

    describe('--confirm-in-table: the items the export cannot account for, looked up in the table', () => {
      // A claim whose write was given up and never retried: in the table, and legitimately in the export.
      const givenUp = strayClaim('run/r-9/gate.evaluated');
      const withGivenUp = () => [...tableItems(), givenUp];

      it('refuses an export holding a claim whose write was given up, saying what to do, and accepts it once the table holds that claim', async () => {
        const items = withGivenUp();
        await expect(verifyExportOf(items, {})).rejects.toThrow(
          /no record in the export carries its key .*verify again with --confirm-in-table/,
        );
        const report = await verifyExportOf(items, { confirmIn: tableOf(items) });
        expect(report).toMatchObject({ ok: true, events: 20 });
      });

      it('confirms nothing invented in the bucket: the reviewer’s padding is refused with the table asked', async () => {
        const table = tableOf(tableItems());
        await expect(verifyExportOf([...withoutNewest(), strayClaim('forged')], { confirmIn: table })).rejects.toThrow(
          /the table holds no such item .*the table does not vouch for them as exported either/,
        );
        const ghost = { chain: CHAIN_REGISTRY, seq: registrySeq('acme/ghost'), name: 'acme/ghost' };
        await expect(verifyExportOf([...withoutNewest(), ghost], { confirmIn: table })).rejects.toThrow(
          /the table holds no such item/,
        );
      });

      it('confirms no item written after the export and copied in', async () => {
        // The claim is in the table, but made a minute after the export: it cannot have been in it.
        const later = strayClaim('run/r-21/run.started', -60_000);
        const table = tableOf([...tableItems(), later]);
        await expect(verifyExportOf([...withoutNewest(), later], { confirmIn: table })).rejects.toThrow(
          /claimed at 2024-01-04T00:01:00.000Z, after the export/,
        );
      });

      it('confirms a done marker whose record retention took first, not one whose record had time left', async () => {
        // Seq 1 was written with a key and expired before the export; retention took it, not yet its marker.
        const events = chain('acme/app', 20, (seq) => (seq === 1 ? asOfSeconds - 86_400 : yearAfter()));
        const [, expired] = onceItems('run/r-1/run.started', events[0] as AuditEvent);
        const items = [...tableItems(events).filter((i) => !(i.chain === 'acme/app' && i.seq === 1)), expired];
        await expect(verifyExportOf(items, {})).rejects.toThrow(/it names acme\/app seq 1/);
        expect(await verifyExportOf(items, { confirmIn: tableOf(items) })).toMatchObject({ ok: true });
        // A marker of a record kept for a year more, which the export lacks: the record was cut (here, from the table).
        const kept = {
          ...expired,
          chain: onceKeyPartition('run/r-20/run.ended'),
          eventSeq: 20,
          expiresAt: yearAfter(),
        };
        const cut = [...withoutNewest(), kept];
        await expect(verifyExportOf(cut, { confirmIn: tableOf(cut) })).rejects.toThrow(
          /names acme\/app seq 20, kept until .*, which the export lacks/,
        );
      });

      it('confirms a registry entry only while its chain has no record in the table', async () => {
        // Registered, and its first write failed: no record anywhere.
        const entry = { chain: CHAIN_REGISTRY, seq: registrySeq('acme/new'), name: 'acme/new' };
        const items = [...tableItems(), entry];
        expect(await verifyExportOf(items, { confirmIn: tableOf(items) })).toMatchObject({ ok: true });
        const written = [...items, ...chain('acme/new', 1, yearAfter).map(toItem)];
        await expect(verifyExportOf(items, { confirmIn: tableOf(written) })).rejects.toThrow(
          /chain "acme\/new" has records in the table but none in the export/,
        );
      });
    });

    describe('the minutes no checkpoint signed before the export, which the verdict always names', () => {
      const thirtyBefore = new Date(AS_OF.getTime() - 30 * 60_000);

      it('names them when every record the export holds is signed', async () => {
        const report = await verifyExportOf(tableItems(), {
          signer,
          checkpoints: await checkpointOf(thirtyBefore, [appAt(20)]),
        });
        expect(report).toMatchObject({
          ok: true,
          export: { asOf: AS_OF.toISOString(), newestCheckpoint: thirtyBefore.toISOString() },
        });
        const text = verifyTable(report);
        expect(text).not.toContain('signed by no checkpoint yet');
        expect(text).toContain(
          `! The export is of ${AS_OF.toISOString()}, 30 minute(s) after the newest checkpoint compared with it (${thirtyBefore.toISOString()}): records written in between are signed by none`,
        );
      });

      it('names them when the records cut were exactly the unsigned ones and the padding passed the accounting', async () => {
        // Seqs 19 and 20 were signed by no checkpoint; they are cut, and seq 5, which has no key, is given one
        // with its claim and done marker: the key is outside the record's hash, so nothing in the copy tells.
        const signedTo18 = await checkpointOf(thirtyBefore, [appAt(18)]);
        const items = withoutNewest(19).map((i) => (i.chain === 'acme/app' && i.seq === 5 ? { ...i, once: 'k5' } : i));
        const padded = [...items, ...onceItems('k5', appAt(5))];
        const report = await verifyExportOf(padded, { signer, checkpoints: signedTo18 });
        expect(report.chains[0]).toMatchObject({ head: { seq: 18 }, signedTo: 18 });
        const text = verifyTable(report);
        expect(text).not.toContain('signed by no checkpoint yet');
        expect(text).toMatch(/! The export is of .*, 30 minute\(s\) after the newest checkpoint .*signed by none/);
      });

      it('says none of it is signed when no checkpoint was signed by the export’s time', async () => {
        const later = await checkpointOf(new Date(AS_OF.getTime() + 60_000), [appAt(20)]);
        const report = await verifyExportOf(tableItems(), { signer, checkpoints: later });
        expect(report.export).toEqual({ asOf: AS_OF.toISOString(), newestCheckpoint: null });
        expect(verifyTable(report)).toContain("! No checkpoint was signed by the export's time");
      });
    });

    it('refuses a data file listed twice in place of another', async () => {
      const items = tableItems();
      const { bucket, objects } = await exported(items);
      const files = manifestLines(bucket);
      const [a] = files;
      if (a === undefined) throw new Error('no files');
      rewriteManifests(bucket, [...files, a]);
      await expect(readExportManifest(objects, FOLDER)).rejects.toThrow(/lists .* twice/);
    });

    it('refuses a data file or file list from outside the export’s folder (another export’s)', async () => {
      const items = tableItems();
      const { bucket, objects } = await exported(items);
      await exported(items, OTHER, bucket);
      const theirs = String(bucket.get(`${OTHER}/manifest-files.json`))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l));
      bucket.set(filesKey, Buffer.from(theirs.map((f) => JSON.stringify(f)).join('\n')));
      await expect(readExportManifest(objects, FOLDER)).rejects.toThrow(/outside the export's folder/);
      const summary = JSON.parse(String(bucket.get(summaryKey)));
      bucket.set(
        summaryKey,
        Buffer.from(JSON.stringify({ ...summary, manifestFilesS3Key: `${OTHER}/manifest-files.json` })),
      );
      await expect(readExportManifest(objects, FOLDER)).rejects.toThrow(/outside the export's folder/);
    });

    it('refuses an export DynamoDB gives no item count for (removals rewritten into the manifests would pass)', async () => {
      const items = tableItems().filter((i) => !(i.chain === 'acme/app' && i.seq === 20));
      const { objects } = await exported(items);
      await expect(
        openLedgerExport(objects, { ...described(items.length), itemCount: undefined }, 'gantry-audit'),
      ).rejects.toThrow(/reports no item count/);
    });

    describe('malformed files give an ExportUnreadableError, never a crash or a pass', () => {
      const cases: [string, (bucket: Map<string, Buffer>, dataKey: string) => void][] = [
        ['a summary that is JSON null', (b) => b.set(summaryKey, Buffer.from('null'))],
        ['a file list line that is JSON null', (b) => b.set(filesKey, Buffer.from(`${String(b.get(filesKey))}\nnull`))],
        ['a data file that is not gzip', (b, k) => b.set(k, Buffer.from('{"Item":{}}'))],
        ['a data line that is null', (b, k) => setLines(b, k, [...lines(b, k), 'null'])],
        ['a data line whose Item is not a map', (b, k) => setLines(b, k, [...lines(b, k), '{"Item":"x"}'])],
        [
          'a data line with an attribute of no DynamoDB type',
          (b, k) => setLines(b, k, [...lines(b, k), '{"Item":{"chain":{"Q":"x"},"seq":{"N":"1"}}}']),
        ],
        ['an item without the table’s key', (b, k) => setLines(b, k, [...lines(b, k), '{"Item":{"x":{"S":"y"}}}'])],
      ];
      it.each(cases)('%s', async (_what, damage) => {
        const items = tableItems();
        const { bucket, objects } = await exported(items);
        const dataKey = manifestLines(bucket).find((f) => f.itemCount > 0)?.dataFileS3Key as string;
        damage(bucket, dataKey);
        if (bucket.get(summaryKey)?.toString() !== 'null' && !String(bucket.get(filesKey)).endsWith('null'))
          rewriteManifests(bucket);
        const run = async () => {
          const manifest = await readExportManifest(objects, FOLDER);
          return verifyLedgerCopy(exportedItems(objects, manifest), { now: AS_OF });
        };
        await expect(run()).rejects.toThrow(ExportUnreadableError);
      });
    });
  },
);
