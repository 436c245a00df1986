/**
 * claimed: this invocation handles the event; done: a handler already did (skip it); busy: another invocation
 * holds a live claim (retry later, by which time it has finished or its lease has run out).
 */
export type Claim = 'claimed' | 'done' | 'busy';

/**
 * Which events each consumer has handled, by eventId: a claim (with a lease as long as the invocation may run)
 * is taken before the handler runs, confirmed after it succeeds and given back if it fails. Records expire
 * (TTL) after the longest time a message can still arrive: the queue's and its DLQ's retention.
 */
export interface ConsumerLedger {
  claim(consumer: string, eventId: string, leaseMs: number): Promise<Claim>;
  complete(consumer: string, eventId: string): Promise<void>;
  release(consumer: string, eventId: string): Promise<void>;
}

/** The ledger for unit tests and property tests: the same contract, in memory. */
export class InMemoryConsumerLedger implements ConsumerLedger {
  readonly entries = new Map<string, { done: boolean; leaseUntil: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(consumer: string, eventId: string, leaseMs: number): Promise<Claim> {
    const key = `${consumer}#${eventId}`;
    const entry = this.entries.get(key);
    if (entry?.done) return 'done';
    if (entry && entry.leaseUntil > this.now()) return 'busy';
    this.entries.set(key, { done: false, leaseUntil: this.now() + leaseMs });
    return 'claimed';
  }

  async complete(consumer: string, eventId: string): Promise<void> {
    this.entries.set(`${consumer}#${eventId}`, { done: true, leaseUntil: 0 });
  }

  async release(consumer: string, eventId: string): Promise<void> {
    const key = `${consumer}#${eventId}`;
    if (!this.entries.get(key)?.done) this.entries.delete(key);
  }
}
