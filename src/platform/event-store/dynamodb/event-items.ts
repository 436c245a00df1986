import type { StoredEvent } from '#src/platform/event-store/core.js';

export const RESERVATION_PREFIX = '$res#';
export const IDEMPOTENCY_PREFIX = '$idem#';

/**
 * One append: its events, keyed by the version of the first (sk >= 1). Items of a stream never overlap and
 * leave no gap, because an append is written at head + 1 where head comes from the store's own consistent
 * read, under attribute_not_exists. On the table's stream, one INSERT record carries one append's events.
 */
export interface CommitItem {
  pk: string;
  sk: number;
  /** events held: this item covers versions sk .. sk + n - 1 */
  n: number;
  /** JSON of StoredEvent[] (one string: exact, compact, and cheap for DynamoDB to store and stream) */
  ev: string;
  /** JSON of SnapshotRecord (sealed-records.ts): the decider's state after this item's last event */
  snap?: string;
  /** When the store wrote it (epoch ms): rebuilds find what was appended while they ran. */
  ts: number;
}

export const lastVersion = (item: Pick<CommitItem, 'sk' | 'n'>): number => item.sk + item.n - 1;

export function commitEvents(item: Pick<CommitItem, 'ev'>): StoredEvent[] {
  return JSON.parse(item.ev) as StoredEvent[];
}

/** True for event items; reservations, idempotency records and data keys live at sk = 0 under `$` keys. */
export function isCommitItem(item: { pk?: unknown; sk?: unknown }): boolean {
  return (
    typeof item.sk === 'number' && item.sk >= 1 && typeof item.pk === 'string' && !item.pk.startsWith('$')
  );
}

/**
 * True when the commit item holds the batch whose first event is `first`: an append that finds its own item
 * where its condition failed was written once already (its answer was lost and the SDK sent it again).
 */
export function holdsFirstEvent(
  item: { ev?: unknown } | undefined,
  first: { id: string } | undefined,
): boolean {
  if (!item || typeof item.ev !== 'string' || !first) return false;
  return commitEvents({ ev: item.ev })[0]?.id === first.id;
}
