import { type ChainBreak, type ChainLink, type ChainReport, ChainVerifier, contentBreak } from './chain';
import { type LedgerTableItems, unconfirmed } from './copy-confirm';
import { CopyItems, type ItemFacts, type Unaccounted } from './copy-items';
import { fromItem } from './ledger';
import {
  type ExportDataFile,
  type ExportObjects,
  ExportUnreadableError,
  fetchDataFile,
  itemsOfDataFile,
  type LedgerExport,
} from './table-export';
import {
  checkAnchors,
  indexBreakOf,
  reportOf,
  type SignedAnchors,
  signedAnchors,
  signedTo,
  type VerifyOptions,
  type VerifyReport,
  withAnchored,
} from './verify';

/** Every item of a copy of the ledger's table, in any order (a DynamoDB export's files are per partition). */
export type LedgerCopy = AsyncIterable<Record<string, unknown>>;

/** One record as linking needs it, with what its content alone proved. */
export interface Read {
  readonly link: ChainLink;
  readonly content: ChainBreak | null;
  readonly index: ChainBreak | null;
}

/** How an export is verified: as `verifyLedger`, the whole table (an export is verified whole: see `verifyLedgerExport`). */
export interface ExportVerifyOptions extends Omit<VerifyOptions, 'now' | 'checkpointsUpTo' | 'repository'> {
  /**
   * Where to confirm the items the export cannot account for (the table itself, read by key).
   * Without it verify reads nothing but the export, and refuses an export holding such an item.
   */
  readonly confirmIn?: LedgerTableItems;
}

/**
 * Verifies an opened export as of the time DynamoDB exported it: only checkpoints signed by then
 * are compared, and a gap is retention only when the missing record had expired by then (one
 * deleted before its time and expired since is still missing). DynamoDB's item count vouches for
 * the table, not for one chain, so every item of the export is read and accounted for: records
 * by their chains, every other item by a record or a checkpoint (`CopyItems`). An export holding
 * an item nothing accounts for (unless `confirmIn` confirms it) is refused: such an item could
 * stand in for a record cut from a chain's end.
 */
export async function verifyLedgerExport(
  objects: ExportObjects,
  copy: LedgerExport,
  options: ExportVerifyOptions = {},
  reader: ExportFileReader = IN_THIS_THREAD,
): Promise<VerifyReport> {
  const { confirmIn, ...rest } = options;
  if ((rest as VerifyOptions).repository !== undefined)
    throw new RangeError("an export is verified whole: DynamoDB's item count vouches for the table, not for one chain");
  const asOfOptions = { ...rest, now: copy.asOf, checkpointsUpTo: copy.asOf };
  const reads = await readExportFiles(objects, copy, asOfOptions, reader);
  const signed = await signedAnchors(asOfOptions);
  let unaccounted = reads.items.unaccounted(new Set(signed.anchors.keys()));
  if (unaccounted.length > 0 && confirmIn !== undefined)
    unaccounted = await unconfirmed(unaccounted, confirmIn, copy.asOf);
  if (unaccounted.length > 0) throw unaccountedError(unaccounted, confirmIn !== undefined);
  const report = reportOfCopy(reads, asOfOptions, signed);
  return { ...report, export: { asOf: copy.asOf.toISOString(), newestCheckpoint: signed.newest ?? null } };
}

/**
 * `verifyLedger` over a copy of the table instead of the table: the same checks, with the same
 * first break, at no cost to the table's read capacity. Records come in any order, so each one's
 * content is hashed as it is read and only its link (sequence number, hash, predecessor's hash)
 * is kept until its chain is walked in order. Items that are not records must be of a kind the
 * ledger writes and each key held once; with no count vouching for the copy, they are not
 * accounted for (`verifyLedgerExport` does that).
 */
export async function verifyLedgerCopy(copy: LedgerCopy, options: VerifyOptions = {}): Promise<VerifyReport> {
  const reads = new CopyReads(options.repository);
  for await (const item of copy) {
    if (reads.add(item) && reads.total % 5000 === 0) {
      const chain = String(item.chain);
      options.onProgress?.({ chain, events: reads.byChain.get(chain)?.length ?? 0, totalEvents: reads.total });
    }
  }
  return reportOfCopy(reads, options, await signedAnchors(options));
}

/** What one part of a copy (a data file) held, as plain data: it crosses to and from worker threads. */
export interface CopyPart {
  /** Its items that are not records, and its records' keys. */
  readonly items: ItemFacts;
  readonly chains: readonly (readonly [string, readonly Read[]])[];
  readonly total: number;
}

/**
 * The records of a copy as they are read, in any order: each record's content is hashed as it
 * comes and only its link is kept; the other items are read into `items`, to be accounted for.
 */
export class CopyReads {
  readonly items = new CopyItems();
  readonly byChain = new Map<string, Read[]>();
  total = 0;

  constructor(private readonly repository?: string) {}

  /** Reads one item; true when it is a record of a chain being verified. */
  add(item: Record<string, unknown>): boolean {
    if (!this.items.read(item)) return false;
    const chain = String(item.chain);
    if (this.repository !== undefined && chain !== this.repository) return false;
    const event = fromItem(item);
    this.readsOf(chain).push({
      link: {
        id: event.id,
        type: event.type,
        seq: event.seq,
        time: event.time,
        hash: event.hash,
        prevHash: event.prevHash,
        prevExpiresAt: event.prevExpiresAt,
      },
      content: contentBreak(chain, event),
      index: indexBreakOf(chain, item, event),
    });
    this.total += 1;
    return true;
  }

  /** Folds in a part read elsewhere (another data file); a key both hold is refused as a padded copy. */
  merge(part: CopyPart): void {
    this.items.merge(part.items);
    for (const [chain, reads] of part.chains) {
      const mine = this.readsOf(chain);
      for (const read of reads) mine.push(read);
    }
    this.total += part.total;
  }

  part(): CopyPart {
    return { items: this.items.facts(), chains: [...this.byChain], total: this.total };
  }

  private readsOf(chain: string): Read[] {
    let reads = this.byChain.get(chain);
    if (reads === undefined) {
      reads = [];
      this.byChain.set(chain, reads);
    }
    return reads;
  }
}

/** One data file of an export read into a part (checked against its manifest line first). */
export function partOfDataFile(gz: Buffer, file: ExportDataFile): CopyPart {
  const reads = new CopyReads();
  for (const item of itemsOfDataFile(gz, file)) reads.add(item);
  return reads.part();
}

/** Reads a data file into its part: here by default, or in a worker thread (the CLI's pool). */
export type DataFileReader = (gz: Buffer, file: ExportDataFile) => Promise<CopyPart>;

/** How an export's data files are read, and how many at once. */
export interface ExportFileReader {
  readonly read: DataFileReader;
  readonly parallelism: number;
}

/** One file after another, in this thread. */
const IN_THIS_THREAD: ExportFileReader = { read: async (...args) => partOfDataFile(...args), parallelism: 1 };

async function readExportFiles(
  objects: ExportObjects,
  copy: LedgerExport,
  options: VerifyOptions,
  reader: ExportFileReader,
): Promise<CopyReads> {
  const reads = new CopyReads();
  const pending: Promise<CopyPart>[] = [];
  const start = (i: number) => {
    const file = copy.files[i];
    if (file === undefined) return;
    const part = fetchDataFile(objects, file).then((gz) => reader.read(gz, file));
    // Awaited in turn below; a failure meanwhile is never unhandled.
    part.catch(() => undefined);
    pending[i] = part;
  };
  for (let i = 0; i < Math.max(1, reader.parallelism); i++) start(i);
  for (let i = 0; i < copy.files.length; i++) {
    const part = await (pending[i] as Promise<CopyPart>);
    start(i + Math.max(1, reader.parallelism));
    reads.merge(part);
    const chain = part.chains.at(-1)?.[0] ?? '';
    options.onProgress?.({ chain, events: reads.byChain.get(chain)?.length ?? 0, totalEvents: reads.total });
  }
  return reads;
}

/** Items shown in the refusal; the rest are counted. */
const SHOWN = 3;

function unaccountedError(items: readonly Unaccounted[], confirmed: boolean): ExportUnreadableError {
  const shown = items
    .slice(0, SHOWN)
    .map((u) => `${u.kind} ${String(u.item.chain)} / ${String(u.item.seq)}: ${u.why}`)
    .join('; ');
  const more = items.length > SHOWN ? `; and ${items.length - SHOWN} more` : '';
  const remedy = confirmed
    ? 'the table does not vouch for them as exported either: verify the table itself (gantry audit verify), or a later export'
    : 'if the table still holds them as exported (a write given up or in flight at the export, an item retention is about to take), verify again with --confirm-in-table, which reads just these items from the table; or verify the table itself (gantry audit verify)';
  return new ExportUnreadableError(
    `${items.length} item(s) of the export are accounted for by no record or checkpoint in it, so they could stand in for records cut from a chain's end and keep DynamoDB's item count: ${shown}${more}. ${remedy}`,
  );
}

function reportOfCopy(reads: CopyReads, options: VerifyOptions, signed: SignedAnchors): VerifyReport {
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  // Chains as verify from the table finds them (the registry and every chain a checkpoint
  // signed), and any that has records without being listed.
  const chains =
    options.repository !== undefined
      ? [options.repository]
      : withAnchored([...new Set([...reads.items.registered, ...reads.byChain.keys()])].sort(), signed.anchors);
  const reports = chains.map((chain) =>
    walk(chain, reads.byChain.get(chain) ?? [], signed.anchors.get(chain) ?? [], nowSeconds),
  );
  options.onProgress?.({ chain: chains.at(-1) ?? '', events: 0, totalEvents: reads.total });
  return reportOf(reports, reads.total, signed, options);
}

function walk(
  chain: string,
  reads: Read[],
  anchors: Parameters<typeof checkAnchors>[1],
  nowSeconds: number,
): ChainReport {
  reads.sort((a, b) => a.link.seq - b.link.seq);
  const verifier = new ChainVerifier(chain, nowSeconds);
  const wanted = new Set(anchors.map((a) => a.seq));
  const seen = new Map<number, ChainLink>();
  let indexBreak: ChainBreak | null = null;
  for (const read of reads) {
    verifier.addLink(read.link, read.content);
    if (wanted.has(read.link.seq)) seen.set(read.link.seq, read.link);
    indexBreak ??= read.index;
  }
  const report = verifier.report();
  const signedSeq = signedTo(anchors);
  const unsigned = reads.find((r) => r.link.seq > (signedSeq ?? 0))?.link;
  return {
    ...report,
    firstBreak: report.firstBreak ?? indexBreak ?? checkAnchors(chain, anchors, seen, report, nowSeconds),
    signedTo: signedSeq,
    unsignedSince: unsigned ? { seq: unsigned.seq, time: unsigned.time } : null,
  };
}
