import { type ChainBreak, type ChainLink, type ChainReport, ChainVerifier, contentBreak } from './chain';
import { CHAIN_REGISTRY, fromItem, ONCE_PARTITION_PREFIX } from './ledger';
import { type ExportObjects, ExportUnreadableError, exportedItems, type LedgerExport } from './table-export';
import { checkAnchors, indexBreakOf, reportOf, signedAnchors, type VerifyOptions, type VerifyReport } from './verify';

/** Every item of a copy of the ledger's table, in any order (a DynamoDB export's files are per partition). */
export type LedgerCopy = AsyncIterable<Record<string, unknown>>;

/** One record as linking needs it, with what its content alone proved. */
interface Read {
  readonly link: ChainLink;
  readonly content: ChainBreak | null;
  readonly index: ChainBreak | null;
}

/**
 * `verifyLedger` over a copy of the table (a point-in-time export) instead of the table: the
 * same checks, with the same first break, at no cost to the table's read capacity. Records come
 * in any order, so each one's content is hashed as it is read and only its link (sequence
 * number, hash, predecessor's hash) is kept until its chain is walked in order.
 */
/**
 * Verifies an opened export as of the time DynamoDB exported it: only checkpoints signed by then
 * are compared, and a gap is retention only when the missing record had expired by then (one
 * deleted before its time and expired since is still missing).
 */
export function verifyLedgerExport(
  objects: ExportObjects,
  copy: LedgerExport,
  options: Omit<VerifyOptions, 'now' | 'checkpointsUpTo'> = {},
): Promise<VerifyReport> {
  return verifyLedgerCopy(exportedItems(objects, copy), { ...options, now: copy.asOf, checkpointsUpTo: copy.asOf });
}

export async function verifyLedgerCopy(copy: LedgerCopy, options: VerifyOptions = {}): Promise<VerifyReport> {
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const signed = await signedAnchors(options);
  const registered = new Set<string>();
  const byChain = new Map<string, Read[]>();
  // A table holds one item per key: a copy repeating one is padded (the chain walk finds repeated records).
  const unchained = new Set<string>();
  let total = 0;
  for await (const item of copy) {
    const chain = String(item.chain);
    if (chain === CHAIN_REGISTRY || chain.startsWith(ONCE_PARTITION_PREFIX)) {
      const key = `${chain}\u0000${String(item.seq)}`;
      if (unchained.has(key))
        throw new ExportUnreadableError(
          `the copy holds item ${chain} / ${String(item.seq)} twice, which a table cannot: items were added after the export`,
        );
      unchained.add(key);
      if (chain === CHAIN_REGISTRY) registered.add(String(item.name));
      continue;
    }
    if (options.repository !== undefined && chain !== options.repository) continue;
    const event = fromItem(item);
    const reads = byChain.get(chain) ?? [];
    if (reads.length === 0) byChain.set(chain, reads);
    reads.push({
      link: {
        id: event.id,
        type: event.type,
        seq: event.seq,
        hash: event.hash,
        prevHash: event.prevHash,
        prevExpiresAt: event.prevExpiresAt,
      },
      content: contentBreak(chain, event),
      index: indexBreakOf(chain, item, event),
    });
    total += 1;
    if (total % 5000 === 0) options.onProgress?.({ chain, events: reads.length, totalEvents: total });
  }
  // Chains as verify from the table finds them (the registry), and any that has records without being listed.
  const chains =
    options.repository !== undefined ? [options.repository] : [...new Set([...registered, ...byChain.keys()])].sort();
  const reports = chains.map((chain) =>
    walk(chain, byChain.get(chain) ?? [], signed.anchors.get(chain) ?? [], nowSeconds),
  );
  options.onProgress?.({ chain: chains.at(-1) ?? '', events: 0, totalEvents: total });
  return reportOf(reports, total, signed, options);
}

function walk(
  chain: string,
  reads: Read[],
  anchors: Parameters<typeof checkAnchors>[1],
  nowSeconds: number,
): ChainReport {
  reads.sort((a, b) => a.link.seq - b.link.seq);
  const verifier = new ChainVerifier(chain, nowSeconds);
  // One anchor per sequence number, as verify from the table keeps them.
  const wanted = new Map(anchors.map((a) => [a.seq, a] as const));
  const seen = new Map<number, ChainLink>();
  let indexBreak: ChainBreak | null = null;
  for (const read of reads) {
    verifier.addLink(read.link, read.content);
    if (wanted.has(read.link.seq)) seen.set(read.link.seq, read.link);
    indexBreak ??= read.index;
  }
  const report = verifier.report();
  return {
    ...report,
    firstBreak: report.firstBreak ?? indexBreak ?? checkAnchors(chain, [...wanted.values()], seen, report),
  };
}
