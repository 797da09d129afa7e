import type { ChainBreak } from '../audit/chain';
import type { VerifyReport } from '../audit/verify';

/** What the Audit page shows of `gantry audit verify`'s report: the verdict in words, and where it first breaks. */
export interface VerificationView {
  readonly ok: boolean;
  readonly summary: string;
  readonly events: number;
  readonly chains: number;
  /** Signed checkpoints checked, or null when this console does not read them. */
  readonly checkpoints: { readonly checked: number; readonly failures: readonly string[] } | null;
  readonly firstBreak: ChainBreak | null;
  readonly brokenChains: readonly string[];
}

/** The report in the words `gantry audit verify` uses: verified, or the first break and where it is. */
export function verificationView(report: VerifyReport): VerificationView {
  const checkpoints = report.checkpoints
    ? { checked: report.checkpoints.checked, failures: report.checkpoints.failures.map((f) => f.message) }
    : null;
  const counted = `${report.events} event(s) in ${report.chains.length} chain(s)`;
  const signed = checkpoints
    ? `${checkpoints.checked} signed checkpoint(s) checked`
    : 'signed checkpoints not checked here (run gantry audit verify)';
  const summary = report.firstBreak
    ? `The ledger does not verify: chain ${report.firstBreak.chain} breaks at seq ${report.firstBreak.seq} (${report.firstBreak.kind}): ${report.firstBreak.message}`
    : report.ok
      ? `Verified ${counted}; ${signed}.`
      : `The ledger does not verify: ${checkpoints?.failures[0] ?? 'a checkpoint failed'}`;
  return {
    ok: report.ok,
    summary,
    events: report.events,
    chains: report.chains.length,
    checkpoints,
    firstBreak: report.firstBreak,
    brokenChains: report.chains.filter((c) => c.firstBreak).map((c) => c.chain),
  };
}
