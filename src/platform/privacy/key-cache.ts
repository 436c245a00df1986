export interface KeyCacheBounds {
  /** At most this many keys are held; the least recently used goes first. */
  maxEntries: number;
  /**
   * A key is forgotten this long after it was read from the table, however often it is used: a hit never extends
   * it. So a process that read a key before it was erased can decrypt with it for at most this long afterwards.
   */
  ttlMs: number;
}

/** 10,000 keys (about 2 MB) for 5 minutes: a warm Lambda calls KMS at most once per person per 5 minutes. */
export const DEFAULT_KEY_CACHE: KeyCacheBounds = { maxEntries: 10_000, ttlMs: 5 * 60_000 };

/** A bounded map: size (least recently used first out) and age since it was loaded. */
export class KeyCache<V> {
  private readonly entries = new Map<string, { value: V; loadedAt: number }>();

  constructor(
    private readonly bounds: KeyCacheBounds,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): V | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (this.now() - entry.loadedAt >= this.bounds.ttlMs) return undefined;
    this.entries.set(id, entry);
    return entry.value;
  }

  set(id: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, { value, loadedAt: this.now() });
    while (this.entries.size > this.bounds.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
