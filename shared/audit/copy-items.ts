import { CHAIN_REGISTRY, ONCE_PARTITION_PREFIX, onceKeyPartition, registrySeq } from './ledger';
import { ExportUnreadableError } from './table-export';

/** A claim to append a keyed record: its key's partition, claim number, the head it saw, when (ms), expiry. */
type Claim = readonly [partition: string, seq: number, from: number, at: number, expiresAt: number];
/** A key's done marker: its partition, the record it names (chain, seq), expiry. */
type Marker = readonly [partition: string, eventChain: string, eventSeq: number, expiresAt: number];
/** A record written with a `once` key: the key's partition, and where the record is. */
type Keyed = readonly [partition: string, chain: string, seq: number];

/** What a copy's items that are not records held, and the records that can account for them, as plain data. */
export interface ItemFacts {
  /** Every such item's key, as `chain NUL seq`: a table holds each key once. */
  readonly keys: readonly string[];
  readonly registered: readonly string[];
  readonly markers: readonly Marker[];
  readonly claims: readonly Claim[];
  readonly keyed: readonly Keyed[];
  /** The chains with at least one record in the copy. */
  readonly recorded: readonly string[];
}

/** An item of the copy that nothing else in it accounts for, and why. */
export interface Unaccounted {
  readonly kind: 'registry entry' | 'done marker' | 'claim';
  /** The item as the copy holds it: every attribute (the shapes read are exact). */
  readonly item: Readonly<Record<string, unknown>>;
  readonly why: string;
}

type Check = (value: unknown) => boolean;
const text: Check = (v) => typeof v === 'string' && v !== '';
const count =
  (min: number): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min;
const time: Check = (v) => typeof v === 'number' && Number.isFinite(v);

/** The attributes, beyond the key, of each item the ledger writes besides records (ledger.ts). */
const SHAPES: Readonly<Record<Unaccounted['kind'], Readonly<Record<string, Check>>>> = {
  'registry entry': { name: text },
  'done marker': { eventChain: text, eventSeq: count(1), expiresAt: time },
  claim: { from: count(0), at: count(0), expiresAt: time },
};

/**
 * The items of a copy of the ledger's table that are not records, read as they come (in any
 * order), and at the end which of them no record or checkpoint accounts for. DynamoDB's item
 * count is what tells a copy with records cut from it; an item that nothing accounts for could
 * stand in for a cut record and keep that count, so an export holding one is not vouched for.
 */
export class CopyItems {
  private readonly keys = new Set<string>();
  readonly registered = new Set<string>();
  private readonly markers: Marker[] = [];
  private readonly claims: Claim[] = [];
  private readonly keyed: Keyed[] = [];
  private readonly recorded = new Set<string>();

  /** Reads one item; true when it is a record (to be walked with its chain), whose key is noted. */
  read(item: Record<string, unknown>): boolean {
    const chain = String(item.chain);
    const seq = Number(item.seq);
    if (chain === CHAIN_REGISTRY) {
      this.keyOnce(chain, seq);
      const { name } = shaped(item, 'registry entry') as { name: string };
      if (seq !== registrySeq(name))
        throw new ExportUnreadableError(
          `the registry item at seq ${seq} names chain "${name}", whose entry the ledger keeps at seq ${registrySeq(name)}: it is not an item Gantry writes`,
        );
      this.registered.add(name);
      return false;
    }
    if (chain.startsWith(ONCE_PARTITION_PREFIX)) {
      this.keyOnce(chain, seq);
      this.readOnce(chain, seq, item);
      return false;
    }
    if (chain.startsWith('#'))
      throw new ExportUnreadableError(
        `item ${chain} / ${seq} is in a partition the ledger does not have (no repository's chain starts with #): it is not an item Gantry writes`,
      );
    this.recorded.add(chain);
    if (item.once !== undefined) {
      if (typeof item.once !== 'string')
        throw new ExportUnreadableError(`record ${chain} / ${seq} has a once key that is not a string`);
      this.keyed.push([onceKeyPartition(item.once), chain, seq]);
    }
    return true;
  }

  /** Folds in what another part of the copy (a data file) held; a key both hold is refused. */
  merge(facts: ItemFacts): void {
    for (const key of facts.keys) this.keyOnce(...splitKey(key));
    for (const name of facts.registered) this.registered.add(name);
    for (const chain of facts.recorded) this.recorded.add(chain);
    // One at a time: a data file's hundred thousand claims spread into push would overflow the stack.
    for (const marker of facts.markers) this.markers.push(marker);
    for (const claim of facts.claims) this.claims.push(claim);
    for (const keyed of facts.keyed) this.keyed.push(keyed);
  }

  facts(): ItemFacts {
    return {
      keys: [...this.keys],
      registered: [...this.registered],
      markers: this.markers,
      claims: this.claims,
      keyed: this.keyed,
      recorded: [...this.recorded],
    };
  }

  /**
   * The items no record in the copy (nor, for a registry entry, a checkpoint of `signed`)
   * accounts for. A registry entry is accounted for by its chain's records; a key's done marker
   * and its first claim by the record written with that key, which the marker must name. A key's
   * later claims (each left by a writer that gave up) and a claim or marker whose record is not
   * in the copy carry nothing the copy proves: the copy alone cannot tell them from invented ones.
   */
  unaccounted(signed: ReadonlySet<string>): Unaccounted[] {
    const keyed = new Map<string, Set<string>>();
    for (const [partition, chain, seq] of this.keyed)
      keyed.set(partition, (keyed.get(partition) ?? new Set()).add(joinKey(chain, seq)));
    const out: Unaccounted[] = [];
    for (const name of this.registered) {
      if (this.recorded.has(name) || signed.has(name)) continue;
      out.push({
        kind: 'registry entry',
        item: { chain: CHAIN_REGISTRY, seq: registrySeq(name), name },
        why: `no record of chain "${name}" is in the export and no checkpoint signed it`,
      });
    }
    for (const [partition, eventChain, eventSeq, expiresAt] of this.markers) {
      if (keyed.get(partition)?.has(joinKey(eventChain, eventSeq))) continue;
      out.push({
        kind: 'done marker',
        item: { chain: partition, seq: 0, eventChain, eventSeq, expiresAt },
        why: `it names ${eventChain} seq ${eventSeq}, and no record there in the export carries its key`,
      });
    }
    for (const [partition, seq, from, at, expiresAt] of this.claims) {
      const recorded = keyed.has(partition);
      if (recorded && seq === 1) continue;
      out.push({
        kind: 'claim',
        item: { chain: partition, seq, from, at, expiresAt },
        why: recorded
          ? 'a later claim of a key whose record is in the export (its earlier writer gave up): nothing in the export ties it to that record'
          : 'no record in the export carries its key (a write given up, or in flight when the table was exported)',
      });
    }
    return out;
  }

  private readOnce(partition: string, seq: number, item: Record<string, unknown>): void {
    if (seq === 0) {
      const m = shaped(item, 'done marker') as { eventChain: string; eventSeq: number; expiresAt: number };
      this.markers.push([partition, m.eventChain, m.eventSeq, m.expiresAt]);
      return;
    }
    if (!count(1)(seq))
      throw new ExportUnreadableError(`item ${partition} / ${seq} is neither a key's claim nor its done marker`);
    const c = shaped(item, 'claim') as { from: number; at: number; expiresAt: number };
    this.claims.push([partition, seq, c.from, c.at, c.expiresAt]);
  }

  // A table holds one item per key: a copy repeating one was padded (the chain walk finds repeated records).
  private keyOnce(chain: string, seq: number): void {
    const key = joinKey(chain, seq);
    if (this.keys.has(key))
      throw new ExportUnreadableError(
        `the copy holds item ${chain} / ${seq} twice, which a table cannot: items were added after the export`,
      );
    this.keys.add(key);
  }
}

/** The item's attributes when it has exactly those of `kind` (beyond its key); refused otherwise. */
function shaped(item: Record<string, unknown>, kind: Unaccounted['kind']): Record<string, unknown> {
  const shape = SHAPES[kind];
  const wrong = Object.keys(shape).filter((name) => !shape[name]?.(item[name]));
  const extra = Object.keys(item).filter((name) => name !== 'chain' && name !== 'seq' && !(name in shape));
  if (wrong.length > 0 || extra.length > 0)
    throw new ExportUnreadableError(
      `item ${String(item.chain)} / ${String(item.seq)} is in a ${kind}'s place but is not one (${[
        ...wrong.map((name) => `${name} missing or malformed`),
        ...extra.map((name) => `${name} unknown`),
      ].join(', ')}): it is not an item Gantry writes`,
    );
  return item;
}

const joinKey = (chain: string, seq: number) => `${chain}\u0000${seq}`;

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
