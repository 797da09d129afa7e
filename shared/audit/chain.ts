import { hash } from 'node:crypto';
import { type AuditEvent, GENESIS_HASH } from '../../events';
import { canonicalJson } from './canonical';

export { GENESIS_HASH };

/** The fields a ledger event's hash covers: everything but the hash itself. */
export type UnhashedEvent = Omit<AuditEvent, 'hash'>;

/** SHA-256 over the RFC 8785 canonical JSON of the event (its prevHash included). */
export function hashEvent(event: UnhashedEvent): string {
  const { id, time, type, actor, subject, outcome, details, correlationId, chain, seq, prevHash } = event;
  const { expiresAt, prevExpiresAt } = event;
  const body = {
    id,
    time,
    type,
    actor,
    subject,
    outcome,
    details,
    correlationId,
    chain,
    seq,
    prevHash,
    expiresAt,
    prevExpiresAt,
  };
  // One-shot crypto.hash: a Hash object per event cost more than the digest itself.
  return hash('sha256', canonicalJson(body), 'hex');
}

/** How far apart two writers' clocks (a Lambda's, the verifier's) may be: both are NTP-synchronised. */
export const CLOCK_SKEW_SECONDS = 300;

export type BreakKind =
  | 'altered' // the record's content no longer hashes to its stored hash
  | 'relinked' // the record's stored prevHash is not its predecessor's hash (edited hash, reorder, insert)
  | 'missing' // a sequence number is absent and retention does not explain it
  | 'misplaced' // a record claims a chain or sequence other than where it is stored
  | 'checkpoint' // a signed checkpoint disagrees with the chain
  | 'dated'; // a record is dated after the verifier's clock, or well before its predecessor

export interface ChainBreak {
  readonly chain: string;
  readonly seq: number;
  readonly kind: BreakKind;
  /** What changed there, in words an auditor can act on. */
  readonly message: string;
  readonly eventId?: string;
  readonly type?: string;
}

export interface ChainReport {
  readonly chain: string;
  readonly events: number;
  readonly head: { readonly seq: number; readonly hash: string } | null;
  /** Sequence ranges that retention removed, explained by the successor's prevExpiresAt. */
  readonly expired: readonly { from: number; to: number }[];
  readonly firstBreak: ChainBreak | null;
  /**
   * The newest seq a verified checkpoint signed (null: none has signed this chain yet); the records
   * after it are linked but signed by nothing, so cutting them off the chain's end goes unseen.
   * Set by verify when it checks checkpoints.
   */
  readonly signedTo?: number | null;
  /**
   * The oldest record after `signedTo`: verify fails once it has waited longer than checkpoints
   * are due (the scheduled checkpoint stopped, or leaves the chain out). Set with `signedTo`.
   */
  readonly unsignedSince?: { readonly seq: number; readonly time: string } | null;
}

/** What linking needs of a stored event, once its content has been checked against its hash. */
export type ChainLink = Pick<AuditEvent, 'id' | 'type' | 'seq' | 'time' | 'hash' | 'prevHash' | 'prevExpiresAt'>;

/**
 * What one record proves on its own, in any order: that it is stored in the chain it claims and
 * that its content still hashes to its stored hash. Null when it does.
 */
export function contentBreak(chain: string, event: AuditEvent): ChainBreak | null {
  const fail = (kind: BreakKind, message: string): ChainBreak => ({
    chain,
    seq: event.seq,
    kind,
    message,
    eventId: event.id,
    type: event.type,
  });
  if (event.chain !== chain) {
    return fail('misplaced', `record ${event.id} at seq ${event.seq} claims chain "${event.chain}"`);
  }
  const recomputed = hashEvent(event);
  if (recomputed !== event.hash) {
    return fail(
      'altered',
      `record seq ${event.seq} (${event.type}, ${event.id}) was edited: its content hashes to ${short(recomputed)}, ` +
        `not the ${short(event.hash)} it was written with`,
    );
  }
  return null;
}

/**
 * Walks one chain in sequence order and returns where it first stops proving itself.
 * `events` must come from the store in ascending `seq`; `now` decides which gaps retention explains.
 * A record's content may be checked apart from its links (`contentBreak`, then `addLink`), so a
 * reader that sees records out of order keeps only their links.
 */
export class ChainVerifier {
  private count = 0;
  private previous: ChainLink | null = null;
  private readonly expired: { from: number; to: number }[] = [];
  private firstBreak: ChainBreak | null = null;

  constructor(
    readonly chain: string,
    private readonly nowSeconds: number,
  ) {}

  get broken(): boolean {
    return this.firstBreak !== null;
  }

  /** Feeds the next stored event; after the first break the rest is only counted. */
  add(event: AuditEvent): void {
    this.addLink(event, this.firstBreak ? null : contentBreak(this.chain, event));
  }

  /** Feeds the next record's link, with what checking its content found (`contentBreak`). */
  addLink(link: ChainLink, content: ChainBreak | null): void {
    this.count += 1;
    if (this.firstBreak) return;
    const prev = this.previous;
    this.previous = link;
    this.firstBreak = content ?? this.checkLink(link, prev);
  }

  private checkLink(event: ChainLink, prev: ChainLink | null): ChainBreak | null {
    const fail = (kind: BreakKind, message: string): ChainBreak => ({
      chain: this.chain,
      seq: event.seq,
      kind,
      message,
      eventId: event.id,
      type: event.type,
    });
    const expectedSeq = prev ? prev.seq + 1 : 1;
    if (event.seq < expectedSeq) {
      return fail(
        'misplaced',
        `record seq ${event.seq} (${event.id}) repeats or reorders the chain after seq ${prev?.seq}`,
      );
    }
    if (event.seq > expectedSeq) {
      // A gap is retention only when the successor says its predecessor's time was up.
      const retention = event.prevExpiresAt !== null && event.prevExpiresAt <= this.nowSeconds;
      if (!retention) {
        const range = event.seq - 1 === expectedSeq ? `seq ${expectedSeq}` : `seqs ${expectedSeq}–${event.seq - 1}`;
        return fail(
          'missing',
          `${range} deleted before retention allowed: record seq ${event.seq} follows seq ${expectedSeq - 1}`,
        );
      }
      this.expired.push({ from: expectedSeq, to: event.seq - 1 });
      // Its predecessor is gone: only the verifier's clock is there to check its time against.
      return this.checkTime(event, null, fail);
    }
    const expectedPrev = prev ? prev.hash : GENESIS_HASH;
    if (event.prevHash !== expectedPrev) {
      return fail(
        'relinked',
        prev
          ? `record seq ${event.seq} (${event.type}, ${event.id}) links to ${short(event.prevHash)}, but seq ${prev.seq} hashes to ${short(prev.hash)}: seq ${prev.seq} was replaced or the records were reordered`
          : `record seq 1 (${event.id}) does not start from the genesis hash`,
      );
    }
    return this.checkTime(event, prev, fail);
  }

  /**
   * A record is dated as it is written, and written after its predecessor: a time ahead of the
   * verifier's clock, or well behind its predecessor's, was set by hand (a time ahead would also
   * keep an unsigned record from ever looking overdue for a checkpoint). Clocks may differ by
   * `CLOCK_SKEW_SECONDS`.
   */
  private checkTime(
    event: ChainLink,
    prev: ChainLink | null,
    fail: (kind: BreakKind, message: string) => ChainBreak,
  ): ChainBreak | null {
    const at = Date.parse(event.time) / 1000;
    if (Number.isNaN(at))
      return fail('dated', `record seq ${event.seq} (${event.id}) has no valid time: "${event.time}"`);
    if (at > this.nowSeconds + CLOCK_SKEW_SECONDS) {
      return fail(
        'dated',
        `record seq ${event.seq} (${event.type}, ${event.id}) is dated ${event.time}, after ${new Date(this.nowSeconds * 1000).toISOString()} (now, or the export's time): records are dated as they are written, so this time was set by hand`,
      );
    }
    const before = prev ? Date.parse(prev.time) / 1000 : Number.NaN;
    if (prev && at < before - CLOCK_SKEW_SECONDS) {
      return fail(
        'dated',
        `record seq ${event.seq} (${event.type}, ${event.id}) is dated ${event.time}, before seq ${prev.seq} (${prev.time}) which precedes it: records are written in turn, so one of the two times was set by hand`,
      );
    }
    return null;
  }

  report(): ChainReport {
    const last = this.previous;
    return {
      chain: this.chain,
      events: this.count,
      head: last ? { seq: last.seq, hash: last.hash } : null,
      expired: [...this.expired],
      firstBreak: this.firstBreak,
    };
  }
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
