import type { Unaccounted } from './copy-items';

/**
 * Port: the ledger's table as it is now, read by key with consistent reads. Only `gantry audit
 * verify --from-export --confirm-in-table` reads it, and only for the items an export cannot
 * account for: verify is otherwise offline.
 */
export interface LedgerTableItems {
  /** The item the table holds under this key; undefined when it holds none. */
  item(chain: string, seq: number): Promise<Record<string, unknown> | undefined>;
  /** Whether the table holds any record of the chain. */
  hasRecords(chain: string): Promise<boolean>;
}

/** Items looked up at once. */
const LOOKUPS = 8;

/**
 * The items the table does not vouch for as they were at the export's time, each with why. The
 * bucket's writer cannot add to the table, so an item it holds exactly as exported was not
 * invented in the bucket; it must also have been written by the export's time (its own time or
 * expiry says so), or it could be a later item copied in.
 */
export async function unconfirmed(
  items: readonly Unaccounted[],
  table: LedgerTableItems,
  asOf: Date,
): Promise<Unaccounted[]> {
  const doubted: Unaccounted[] = [];
  for (let i = 0; i < items.length; i += LOOKUPS) {
    const batch = items.slice(i, i + LOOKUPS);
    const whys = await Promise.all(batch.map((u) => doubt(u, table, asOf)));
    whys.forEach((why, j) => {
      const u = batch[j];
      if (why !== null && u !== undefined) doubted.push({ ...u, why });
    });
  }
  return doubted;
}

async function doubt(u: Unaccounted, table: LedgerTableItems, asOf: Date): Promise<string | null> {
  const { chain, seq } = u.item as { chain: string; seq: number };
  const held = await table.item(chain, seq);
  if (held === undefined) return `${u.why}; the table holds no such item (invented, or taken by retention since)`;
  if (!sameItem(held, u.item)) return `${u.why}; the table holds another item under its key`;
  if (u.kind === 'claim') {
    const at = Number(u.item.at);
    return at <= asOf.getTime()
      ? null
      : `${u.why}; the table holds it, but it was claimed at ${new Date(at).toISOString()}, after the export`;
  }
  if (u.kind === 'done marker') {
    // Retention may take the record before its marker, only once the record's time was up.
    const expiresAt = Number(u.item.expiresAt);
    return expiresAt * 1000 <= asOf.getTime()
      ? null
      : `it names ${String(u.item.eventChain)} seq ${String(u.item.eventSeq)}, kept until ${new Date(expiresAt * 1000).toISOString()}, which the export lacks: the record was cut from the export, or the marker written after it`;
  }
  const name = String(u.item.name);
  return (await table.hasRecords(name))
    ? `chain "${name}" has records in the table but none in the export: they were cut from it, or written after it (verify a later export)`
    : null;
}

function sameItem(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && a[key] === b[key]);
}
