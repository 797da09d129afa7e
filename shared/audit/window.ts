/**
 * Admits one record per key per window, for refusals anyone can cause (unsigned webhooks, unproven
 * Slack clicks, console sign-ins): a script cannot fill the ledger with them, and the next record
 * of a key says how many of its kind were only logged since the last one. Per process (per Lambda
 * instance); it remembers at most `maxKeys` keys, then starts again.
 */
export class RecordWindow {
  private readonly keys = new Map<string, { at: number; skipped: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** `admitted` with how many of the key were turned away since its last admission, or not admitted. */
  admit(key: string, at: number): { readonly admitted: true; readonly skipped: number } | { readonly admitted: false } {
    const last = this.keys.get(key);
    if (last !== undefined && at - last.at < this.windowMs) {
      last.skipped += 1;
      return { admitted: false };
    }
    if (last === undefined && this.keys.size >= this.maxKeys) this.keys.clear();
    this.keys.set(key, { at, skipped: 0 });
    return { admitted: true, skipped: last?.skipped ?? 0 };
  }
}
