import type { StoredEvent } from '../../event-store/core.js';

/** The tip's sort key: after every history item, so one ascending Query reads a stream in order. */
export const TIP_SK = Number.MAX_SAFE_INTEGER;
export const RESERVATION_PREFIX = '$res#';
export const IDEMPOTENCY_PREFIX = '$idem#';

export interface TipSnapshot {
  /** decider version */
  dv: string;
  /** stream version the state is at */
  v: number;
  /** state as JSON */
  s: string;
}

/** Per-stream head: the version every append is conditioned on, plus the newest events. */
export interface TipItem {
  pk: string;
  sk: typeof TIP_SK;
  /** stream version */
  ver: number;
  /** first version held in `ev` */
  from: number;
  /** first version of the latest append: stream readers take `ev` from here */
  last: number;
  /** events held */
  n: number;
  /** bytes of `ev` */
  b: number;
  ev: StoredEvent[];
  snap?: TipSnapshot;
}

/** Events rolled over from the tip, keyed by their first version. */
export interface HistoryItem {
  pk: string;
  sk: number;
  n: number;
  ev: StoredEvent[];
}

/** The events a tip image newly carries: what one append added (several events may share one record). */
export function appendedEvents(tip: TipItem): StoredEvent[] {
  return tip.ev.filter((event) => event.v >= tip.last);
}

export function isTip(item: { sk?: unknown }): boolean {
  return item.sk === TIP_SK;
}
