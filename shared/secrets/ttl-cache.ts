/**
 * A read-through cache with a time-to-live. Concurrent misses for one key share a single load;
 * a failed load is not cached, so the next caller tries again.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { readonly value: Promise<V>; readonly expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: (key: string) => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAt > this.now()) return hit.value;
    const value = load(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets every entry (tests, or after a known rotation). */
  clear(): void {
    this.entries.clear();
  }
}
