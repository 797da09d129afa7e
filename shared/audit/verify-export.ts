import { type ChainBreak, type ChainLink, type ChainReport, ChainVerifier, contentBreak } from './chain';
import { CHAIN_REGISTRY, fromItem, ONCE_PARTITION_PREFIX } from './ledger';
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
export async function verifyLedgerCopy(copy: LedgerCopy, options: VerifyOptions = {}): Promise<VerifyReport> {
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const signed = await signedAnchors(options);
  const registered = new Set<string>();
  const byChain = new Map<string, Read[]>();
  let total = 0;
  for await (const item of copy) {
    const chain = String(item.chain);
    if (chain === CHAIN_REGISTRY) {
      registered.add(String(item.name));
      continue;
    }
    if (chain.startsWith(ONCE_PARTITION_PREFIX)) continue;
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
