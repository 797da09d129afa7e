import type { AuditEvent } from '../../events';
import { type ChainBreak, type ChainLink, type ChainReport, ChainVerifier, CLOCK_SKEW_SECONDS } from './chain';
import {
  type Checkpoint,
  type CheckpointSigner,
  type CheckpointStore,
  checkpointMessage,
  DEFAULT_CHECKPOINT_MINUTES,
} from './checkpoints';
import { fromItem, indexMismatches } from './ledger';
import type { AuditReader } from './reader';

export interface VerifyOptions {
  readonly repository?: string;
  readonly signer?: CheckpointSigner;
  readonly checkpoints?: CheckpointStore;
  readonly now?: Date;
  /** Called as chains are walked, for long verifications to show progress. */
  readonly onProgress?: (progress: { chain: string; events: number; totalEvents: number }) => void;
  /**
   * Only checkpoints signed at or before this time vouch for the chains: a copy of the table as
   * of then cannot hold what later ones signed (their signatures are still checked).
   */
  readonly checkpointsUpTo?: Date;
  /** Chains read and hashed at once (each chain is one sequence, walked in order). @default 4 */
  readonly parallelChains?: number;
}

/**
 * Chains are independent, so several are walked at once: one chain's next page is read while
 * another's is hashed, and in AWS the reads spread over the table's partitions.
 */
const DEFAULT_PARALLEL_CHAINS = 4;

export interface CheckpointReport {
  readonly checked: number;
  /** Checkpoints signed after `checkpointsUpTo`, whose heads were not compared. */
  readonly later?: number;
  readonly failures: readonly { key: string; message: string }[];
  /**
   * Chains whose oldest unsigned record has waited longer than the grace; each is also in
   * `failures`, with the chain's name as its key (the others' keys are checkpoints').
   */
  readonly overdue?: readonly { chain: string; seq: number; time: string; message: string }[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly chains: readonly ChainReport[];
  readonly events: number;
  readonly checkpoints: CheckpointReport | null;
  /** The first broken link over all chains (chain order), if any. */
  readonly firstBreak: ChainBreak | null;
  /**
   * Set when a point-in-time export was verified: the time it copies the table at, and the
   * newest checkpoint compared with it (null when none was signed by then). What was written
   * between the two is signed by no checkpoint, whatever the copy holds.
   */
  readonly export?: { readonly asOf: string; readonly newestCheckpoint: string | null };
}

/** What verify reads: the chain registry and each chain's stored items in order. */
export type LedgerSource = Pick<AuditReader, 'chains' | 'chainItems'>;

export interface Anchor {
  readonly key: string;
  readonly seq: number;
  readonly hash: string;
  /** When the record's retention ends, as the checkpoint signed it (older checkpoints do not say). */
  readonly expiresAt?: number;
}

/**
 * Recomputes every chain (or one repository's) from the stored records and checks every signed
 * checkpoint against them: an edited, deleted, inserted or reordered record breaks a link, and a
 * rewritten suffix or a truncated chain contradicts a checkpoint.
 */
export async function verifyLedger(reader: LedgerSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const signed = await signedAnchors(options);
  const { anchors } = signed;
  const chains = options.repository ? [options.repository] : withAnchored(await reader.chains(), anchors);
  const progress = { totalEvents: 0 };
  const reports = await inParallel(chains, options.parallelChains ?? DEFAULT_PARALLEL_CHAINS, (chain) =>
    verifyChain(reader, chain, anchors.get(chain) ?? [], nowSeconds, progress, options.onProgress),
  );
  return reportOf(reports, progress.totalEvents, signed, options);
}

const CLOCK_SKEW_MINUTES = CLOCK_SKEW_SECONDS / 60;

/**
 * The chains to walk: those listed, and every chain a checkpoint signed, whose registry entry
 * (or every record) may have been deleted since; it must then be explained by retention.
 */
export function withAnchored(listed: Iterable<string>, anchors: ReadonlyMap<string, unknown>): string[] {
  const chains = new Set(listed);
  const missing = [...anchors.keys()].filter((chain) => !chains.has(chain)).sort();
  return [...chains, ...missing];
}

/**
 * The report over every chain's: ok when no chain broke, every checkpoint verified and, when
 * checkpoints are checked, no record has waited for one longer than the grace.
 */
export function reportOf(
  reports: readonly ChainReport[],
  events: number,
  signed: SignedAnchors,
  options: Pick<VerifyOptions, 'checkpoints' | 'now'>,
): VerifyReport {
  const firstBreak = reports.find((r) => r.firstBreak)?.firstBreak ?? null;
  const overdue = options.checkpoints ? overdueChains(reports, signed, options) : [];
  const failures = [...signed.failures, ...overdue.map((o) => ({ key: o.chain, message: o.message }))];
  return {
    ok: firstBreak === null && failures.length === 0,
    chains: reports,
    events,
    checkpoints: options.checkpoints
      ? {
          checked: signed.checked,
          ...(signed.later > 0 ? { later: signed.later } : {}),
          failures,
          ...(overdue.length > 0 ? { overdue } : {}),
        }
      : null,
    firstBreak,
  };
}

/**
 * Chains with a record no checkpoint signed for longer than twice the rate checkpoints are due at,
 * plus clock skew (60 minutes when no scheduled checkpoint states a rate): the scheduled
 * checkpoint stopped (or leaves the chain out, its registry entry gone), so those records, and
 * every later one, could be cut off the chain's end unseen. Failing here is what makes a
 * checkpoint schedule that quietly stopped visible to the auditor.
 */
export function overdueChains(
  reports: readonly ChainReport[],
  signed: Pick<SignedAnchors, 'everyMinutes'>,
  options: Pick<VerifyOptions, 'now'>,
): { chain: string; seq: number; time: string; message: string }[] {
  const every = signed.everyMinutes ?? DEFAULT_CHECKPOINT_MINUTES;
  const grace = 2 * every + CLOCK_SKEW_MINUTES;
  const now = (options.now ?? new Date()).getTime();
  return reports.flatMap((report) => {
    const since = report.unsignedSince;
    if (!since) return [];
    const at = Date.parse(since.time);
    // A time that is no time waited forever: it is as overdue as can be.
    const waited = Number.isNaN(at) ? Number.POSITIVE_INFINITY : (now - at) / 60_000;
    if (waited <= grace) return [];
    const signedTo = report.signedTo ?? null;
    const due = `checkpoints are due every ${every} minutes${signed.everyMinutes === undefined ? ' (the default: no scheduled checkpoint says)' : ''}`;
    return [
      {
        chain: report.chain,
        seq: since.seq,
        time: since.time,
        message: `chain ${report.chain}: its records from seq ${since.seq} (written ${since.time}, ${waitedFor(waited)} ago) are signed by no checkpoint${signedTo === null ? ' (none has ever signed this chain)' : `, the last signed is seq ${signedTo}`}, though ${due}: the scheduled checkpoint has stopped or leaves this chain out, so these records could be cut off unseen. Find why (in AWS, the audit-checkpoint function's logs and its errors alarm; locally, the schedule runs only while npm start does), then run gantry audit checkpoint and verify again`,
      },
    ];
  });
}

function waitedFor(minutes: number): string {
  if (!Number.isFinite(minutes)) return 'an unknown time';
  if (minutes < 120) return `${Math.round(minutes)} minutes`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} hours`;
  return `${Math.round(minutes / 1440)} days`;
}

/** What the signed checkpoints vouch for: per chain, the hash each named sequence number had. */
export interface SignedAnchors {
  readonly anchors: ReadonlyMap<string, readonly Anchor[]>;
  readonly checked: number;
  readonly later: number;
  readonly failures: readonly { key: string; message: string }[];
  /** When checkpoints are due: the largest rate the newest three verified scheduled checkpoints state. */
  readonly everyMinutes?: number;
  /** The time of the newest checkpoint whose heads are compared (verified, and signed by `checkpointsUpTo`). */
  readonly newest?: string;
}

/** Reads every checkpoint and keeps the chain heads of those whose signature verifies. */
export async function signedAnchors(
  options: Pick<VerifyOptions, 'checkpoints' | 'signer' | 'checkpointsUpTo'>,
): Promise<SignedAnchors> {
  const anchors = new Map<string, Anchor[]>();
  const failures: { key: string; message: string }[] = [];
  const signedInTurn: { key: string; checkpoint: Checkpoint }[] = [];
  const upTo = options.checkpointsUpTo?.getTime();
  let checked = 0;
  let later = 0;
  const stated: { time: number; everyMinutes: number }[] = [];
  if (options.checkpoints && options.signer) {
    for await (const { key, checkpoint } of options.checkpoints.list()) {
      checked += 1;
      if (checkpoint instanceof Error) {
        failures.push({ key, message: checkpoint.message });
        continue;
      }
      const valid = await options.signer.verify(
        checkpointMessage(checkpoint),
        Buffer.from(checkpoint.signature, 'base64'),
      );
      if (!valid) {
        failures.push({ key, message: `checkpoint ${key} does not carry a valid signature by ${checkpoint.keyId}` });
        continue;
      }
      if (upTo !== undefined && !(Date.parse(checkpoint.time) <= upTo)) {
        later += 1;
        continue;
      }
      signedInTurn.push({ key, checkpoint });
      if (checkpoint.everyMinutes !== undefined)
        stated.push({ time: Date.parse(checkpoint.time), everyMinutes: checkpoint.everyMinutes });
      for (const head of checkpoint.chains) {
        const list = anchors.get(head.chain) ?? [];
        list.push({
          key,
          seq: head.seq,
          hash: head.hash,
          ...(head.expiresAt === undefined ? {} : { expiresAt: head.expiresAt }),
        });
        anchors.set(head.chain, list);
      }
    }
  }
  failures.push(...chainsLeftOut(signedInTurn));
  const everyMinutes = statedRate(stated);
  const newest = newestTime(signedInTurn.map((s) => s.checkpoint.time));
  return {
    anchors,
    checked,
    later,
    failures,
    ...(everyMinutes === undefined ? {} : { everyMinutes }),
    ...(newest === undefined ? {} : { newest }),
  };
}

/**
 * The rate checkpoints are due at: the largest the newest few scheduled checkpoints state, so a
 * schedule made slower does not make the records signed at the old rate look overdue meanwhile.
 */
function statedRate(stated: readonly { time: number; everyMinutes: number }[]): number | undefined {
  const newest = [...stated].sort((a, b) => b.time - a.time).slice(0, STATED_RATES);
  return newest.length === 0 ? undefined : Math.max(...newest.map((s) => s.everyMinutes));
}

function newestTime(times: readonly string[]): string | undefined {
  const valid = times.filter((t) => !Number.isNaN(Date.parse(t)));
  return valid.length === 0 ? undefined : valid.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

/** How many of the newest scheduled checkpoints' rates are weighed. */
const STATED_RATES = 3;

/**
 * A chain one checkpoint signed and a later one leaves out, while its signed head was still
 * to be kept: checkpoints sign the chains the registry names, so its entry was removed or
 * overwritten, and every record after that head is signed by no checkpoint (its deletion would go
 * unseen). Retention excuses it once the signed head's time is up (every record may be gone).
 */
export function chainsLeftOut(checkpoints: readonly { key: string; checkpoint: Checkpoint }[]): {
  key: string;
  message: string;
}[] {
  const failures: { key: string; message: string }[] = [];
  const last = new Map<string, { key: string; expiresAt?: number }>();
  const inTurn = [...checkpoints].sort((a, b) => Date.parse(a.checkpoint.time) - Date.parse(b.checkpoint.time));
  for (const { key, checkpoint } of inTurn) {
    const signedHere = new Set(checkpoint.chains.map((c) => c.chain));
    const at = Date.parse(checkpoint.time) / 1000;
    for (const [chain, before] of last) {
      if (signedHere.has(chain)) continue;
      last.delete(chain);
      if (before.expiresAt !== undefined && before.expiresAt <= at) continue;
      failures.push({
        key,
        message: `checkpoint ${key} does not sign chain ${chain}, which ${before.key} signed: the chain's registry entry was removed or overwritten, so no checkpoint signs its later records; restore the entry (gantry audit verify lists the chain's records)`,
      });
    }
    for (const head of checkpoint.chains)
      last.set(head.chain, { key, ...(head.expiresAt === undefined ? {} : { expiresAt: head.expiresAt }) });
  }
  return failures;
}

async function verifyChain(
  reader: LedgerSource,
  chain: string,
  anchors: readonly Anchor[],
  nowSeconds: number,
  progress: { totalEvents: number },
  onProgress: VerifyOptions['onProgress'],
): Promise<ChainReport> {
  const verifier = new ChainVerifier(chain, nowSeconds);
  const wanted = new Set(anchors.map((a) => a.seq));
  const seen = new Map<number, ChainLink>();
  const signedSeq = signedTo(anchors);
  let unsignedSince: ChainReport['unsignedSince'] = null;
  let indexBreak: ChainBreak | null = null;
  for await (const item of reader.chainItems(chain)) {
    const event = fromItem(item);
    verifier.add(event);
    progress.totalEvents += 1;
    if (wanted.has(event.seq)) seen.set(event.seq, event);
    if (unsignedSince === null && event.seq > (signedSeq ?? 0)) unsignedSince = { seq: event.seq, time: event.time };
    if (!indexBreak) indexBreak = indexBreakOf(chain, item, event);
    if (progress.totalEvents % 5000 === 0)
      onProgress?.({ chain, events: verifier.report().events, totalEvents: progress.totalEvents });
  }
  const report = verifier.report();
  const anchorBreak = checkAnchors(chain, anchors, seen, report, nowSeconds);
  onProgress?.({ chain, events: report.events, totalEvents: progress.totalEvents });
  return { ...report, firstBreak: report.firstBreak ?? indexBreak ?? anchorBreak, signedTo: signedSeq, unsignedSince };
}

/** The newest seq any of the chain's checkpoints signed; null when none did. */
export function signedTo(anchors: readonly Pick<Anchor, 'seq'>[]): number | null {
  return anchors.length === 0 ? null : Math.max(...anchors.map((a) => a.seq));
}

export function indexBreakOf(chain: string, item: Record<string, unknown>, event: AuditEvent): ChainBreak | null {
  const wrongKeys = indexMismatches(item, event);
  if (wrongKeys.length === 0) return null;
  return {
    chain,
    seq: event.seq,
    kind: 'altered',
    message: `record seq ${event.seq} (${event.id}) has index keys that disagree with its content: ${wrongKeys.join(', ')}`,
    eventId: event.id,
    type: event.type,
  };
}

/** `work` over every item, at most `limit` at once; the results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/**
 * Where the chain as read contradicts what a checkpoint signed (`seen`: the records at the
 * anchors' seqs). Every checkpoint is checked, not only the latest per seq: a record rewritten
 * between two checkpoints is signed both ways, and the earlier one tells.
 */
export function checkAnchors(
  chain: string,
  anchors: readonly Anchor[],
  seen: ReadonlyMap<number, ChainLink>,
  report: ChainReport,
  nowSeconds: number,
): ChainBreak | null {
  for (const anchor of [...anchors].sort((a, b) => a.seq - b.seq)) {
    const event = seen.get(anchor.seq);
    if (event) {
      if (event.hash !== anchor.hash) {
        return {
          chain,
          seq: anchor.seq,
          kind: 'checkpoint',
          message: `checkpoint ${anchor.key} signed seq ${anchor.seq} as ${anchor.hash.slice(0, 12)}…, the chain now has ${event.hash.slice(0, 12)}…: the chain was rewritten up to there`,
          eventId: event.id,
          type: event.type,
        };
      }
      continue;
    }
    // Gone. Retention may take it once the time the checkpoint signed is up; before that, or
    // with no signed time, only a successor that says its predecessor had expired excuses it.
    if (anchor.expiresAt !== undefined) {
      if (anchor.expiresAt <= nowSeconds) continue;
      return {
        chain,
        seq: anchor.seq,
        kind: 'checkpoint',
        message: `checkpoint ${anchor.key} signed seq ${anchor.seq}, to be kept until ${new Date(anchor.expiresAt * 1000).toISOString()}, but it is gone: deleted before its retention ended`,
      };
    }
    if (report.expired.some((r) => anchor.seq >= r.from && anchor.seq <= r.to)) continue;
    const headSeq = report.head?.seq ?? 0;
    return {
      chain,
      seq: anchor.seq,
      kind: 'checkpoint',
      message:
        anchor.seq > headSeq
          ? `checkpoint ${anchor.key} signed seq ${anchor.seq}, but the chain now ends at seq ${headSeq}: records were deleted from its end`
          : `checkpoint ${anchor.key} signed seq ${anchor.seq}, which is no longer in the chain`,
    };
  }
  return null;
}
